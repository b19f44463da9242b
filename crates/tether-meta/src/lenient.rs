//! A forgiving JSON reader for usage headers.
//!
//! Real `X-App-Usage` / `X-Business-Use-Case-Usage` values are plain JSON and go through
//! `serde_json` first. This reader exists because the values people copy from Meta's docs (and
//! that support staff paste into tickets) carry `//` comments, single quotes, `...` elisions,
//! trailing commas and repeated keys; the figures in them are still worth reading. A repeated key
//! whose values are both arrays keeps both arrays (the documented BUC sample repeats an object id
//! with one entry per usage type), otherwise the last value wins like in `serde_json`.

use serde_json::{Map, Number, Value};

/// Parses `input` as JSON, falling back to the forgiving reader. Text after the first complete
/// value is ignored. `None` when no value can be read at all.
pub fn parse_lenient(input: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(input.trim()) {
        return Some(v);
    }
    let mut reader = Reader {
        s: input.as_bytes(),
        i: 0,
    };
    reader.value()
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn rest_starts_with(&self, pat: &[u8]) -> bool {
        self.s[self.i..].starts_with(pat)
    }

    /// Skips whitespace, comments and `...` elisions.
    fn skip_junk(&mut self) {
        loop {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.i += 1;
            }
            if self.rest_starts_with(b"//") {
                while self.peek().is_some_and(|b| b != b'\n') {
                    self.i += 1;
                }
            } else if self.rest_starts_with(b"/*") {
                self.i += 2;
                while self.i < self.s.len() && !self.rest_starts_with(b"*/") {
                    self.i += 1;
                }
                self.i = (self.i + 2).min(self.s.len());
            } else if self.rest_starts_with(b"...") {
                self.i += 3;
            } else if self.rest_starts_with("…".as_bytes()) {
                self.i += "…".len();
            } else {
                return;
            }
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_junk();
        match self.peek()? {
            b'{' => Some(self.object()),
            b'[' => Some(self.array()),
            q @ (b'"' | b'\'') => Some(Value::String(self.string(q))),
            b't' if self.rest_starts_with(b"true") => {
                self.i += 4;
                Some(Value::Bool(true))
            }
            b'f' if self.rest_starts_with(b"false") => {
                self.i += 5;
                Some(Value::Bool(false))
            }
            b'n' if self.rest_starts_with(b"null") => {
                self.i += 4;
                Some(Value::Null)
            }
            b'-' | b'+' | b'.' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self) -> Value {
        self.i += 1;
        let mut map = Map::new();
        loop {
            self.skip_junk();
            let key = match self.peek() {
                None => break,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                Some(b',') => {
                    self.i += 1;
                    continue;
                }
                Some(q @ (b'"' | b'\'')) => self.string(q),
                Some(_) => match self.bare_word() {
                    Some(w) => w,
                    None => break,
                },
            };
            self.skip_junk();
            if self.peek() != Some(b':') {
                break;
            }
            self.i += 1;
            let Some(val) = self.value() else { break };
            merge_insert(&mut map, key, val);
        }
        Value::Object(map)
    }

    fn array(&mut self) -> Value {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_junk();
            match self.peek() {
                None => break,
                Some(b']') => {
                    self.i += 1;
                    break;
                }
                Some(b',') => self.i += 1,
                Some(_) => match self.value() {
                    Some(v) => items.push(v),
                    None => break,
                },
            }
        }
        Value::Array(items)
    }

    fn bare_word(&mut self) -> Option<String> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn string(&mut self, quote: u8) -> String {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            if b == quote {
                break;
            }
            if b != b'\\' {
                out.push(b);
                continue;
            }
            let Some(esc) = self.peek() else { break };
            self.i += 1;
            match esc {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'b' => out.push(0x08),
                b'f' => out.push(0x0c),
                b'u' => {
                    let hex = self.s.get(self.i..self.i + 4).unwrap_or_default();
                    let c = std::str::from_utf8(hex)
                        .ok()
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .and_then(char::from_u32)
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    self.i = (self.i + 4).min(self.s.len());
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                other => out.push(other),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        let text = text.strip_prefix('+').unwrap_or(text);
        if let Ok(n) = text.parse::<i64>() {
            return Some(Value::Number(n.into()));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
    }
}

fn merge_insert(map: &mut Map<String, Value>, key: String, val: Value) {
    match (map.get_mut(&key), val) {
        (Some(Value::Array(existing)), Value::Array(more)) => existing.extend(more),
        (_, val) => {
            map.insert(key, val);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_json_goes_through_serde() {
        assert_eq!(
            parse_lenient(r#"{"call_count":28,"total_time":25}"#),
            Some(json!({"call_count":28,"total_time":25}))
        );
    }

    #[test]
    fn comments_single_quotes_trailing_commas_and_elisions() {
        let text = "{\n  \"a\": 9.67,   // percent\n  \"b\": 'standard_access', /* c */\n  ...\n}";
        assert_eq!(
            parse_lenient(text),
            Some(json!({"a": 9.67, "b": "standard_access"}))
        );
    }

    #[test]
    fn repeated_keys_with_arrays_keep_both() {
        let text = r#"{"1":[{"type":"a"}],"1":[{"type":"b"}],}"#;
        assert_eq!(
            parse_lenient(text),
            Some(json!({"1":[{"type":"a"},{"type":"b"}]}))
        );
    }

    #[test]
    fn trailing_junk_and_truncation_are_tolerated() {
        assert_eq!(parse_lenient(r#"{"x":1} garbage"#), Some(json!({"x":1})));
        assert_eq!(parse_lenient(r#"{"x":1,"y":"#), Some(json!({"x":1})));
        assert_eq!(parse_lenient("not json"), None);
        assert_eq!(parse_lenient(""), None);
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(
            parse_lenient(r#"{'k':'it\'s \u00e9'} x"#),
            Some(json!({"k":"it's é"}))
        );
    }
}
