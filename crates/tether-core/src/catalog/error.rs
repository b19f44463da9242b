use thiserror::Error;

/// Why a catalog (or its remedies) could not be loaded. Every variant names the file (`origin`)
/// and, where there is one, the rule and the offending word, so a person editing the data file
/// finds the line without reading code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogError {
    #[error("{origin}: not a valid catalog file: {message}")]
    Parse { origin: String, message: String },
    #[error(
        "no built-in catalog for network `{network}` (built in: {known}); add catalog/{network}/"
    )]
    NoBuiltin { network: String, known: String },
    #[error("{origin}: unknown network `{word}`")]
    UnknownNetwork { origin: String, word: String },
    #[error("{origin}: {what} `{word}` is declared twice")]
    DuplicateWord {
        origin: String,
        what: &'static str,
        word: String,
    },
    #[error("{origin}: too many {what} ({count}); the engine's bitsets hold at most {max}")]
    TooMany {
        origin: String,
        what: &'static str,
        count: usize,
        max: usize,
    },
    #[error(
        "{origin}: retired permission `{word}` has no `retired_source` saying where the retirement is documented"
    )]
    RetiredWithoutSource { origin: String, word: String },
    #[error("{origin}: unknown asset kind `{word}` in {place}")]
    UnknownAssetKind {
        origin: String,
        place: String,
        word: String,
    },
    #[error("{origin}: unsupported asset kind `{word}` has no `unsupported_source`")]
    UnsupportedWithoutSource { origin: String, word: String },
    #[error("{origin}: rule {rule}: unknown feature `{word}`")]
    UnknownFeature {
        origin: String,
        rule: String,
        word: String,
    },
    #[error("{origin}: rule {rule}: asset kind `{word}` is not declared in [[asset_kind]]")]
    UndeclaredAssetKind {
        origin: String,
        rule: String,
        word: String,
    },
    #[error(
        "{origin}: rule {rule}: asset kind `{word}` is marked unsupported, so it cannot have rules"
    )]
    RuleForUnsupportedKind {
        origin: String,
        rule: String,
        word: String,
    },
    #[error("{origin}: rule {rule}: unknown permission `{word}` (declare it in [[permission]])")]
    UnknownPermission {
        origin: String,
        rule: String,
        word: String,
    },
    #[error("{origin}: rule {rule}: requires retired permission `{word}`")]
    RetiredPermission {
        origin: String,
        rule: String,
        word: String,
    },
    #[error("{origin}: rule {rule}: unknown task `{word}` (declare it in [[task]])")]
    UnknownTask {
        origin: String,
        rule: String,
        word: String,
    },
    #[error("{origin}: rule {rule}: unknown condition `{word}` (known: {known})")]
    UnknownCondition {
        origin: String,
        rule: String,
        word: String,
        known: String,
    },
    #[error("{origin}: rule {rule} has no `source`; every rule must say where its facts come from")]
    MissingSource { origin: String, rule: String },
    #[error("{origin}: rule {rule} duplicates an earlier rule for the same feature and asset kind")]
    DuplicateRule { origin: String, rule: String },
    #[error("{origin}: rule {rule}: `{word}` is listed twice")]
    RepeatedWord {
        origin: String,
        rule: String,
        word: String,
    },
    #[error("{origin}: no remedy for finding code `{code}`")]
    MissingRemedy { origin: String, code: String },
    #[error("{origin}: remedy `{code}`: {problem}")]
    BadRemedy {
        origin: String,
        code: String,
        problem: String,
    },
    #[error("{origin}: unknown finding code `{word}` in [remedy]")]
    UnknownFindingCode { origin: String, word: String },
    #[error("{origin}: no label for feature `{feature}` in [features]")]
    MissingFeatureLabel { origin: String, feature: String },
}
