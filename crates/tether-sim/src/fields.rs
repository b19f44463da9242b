//! The Graph API `fields` parameter: `id,name,accounts.limit(5){id,tasks,instagram_business_account{id}}`.
//!
//! Grammar: `list := field (',' field)*`, `field := name ('.' name '(' arg ')')* ('{' list '}')?`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// `.name(arg)` modifiers in request order (`limit`, `after`, …).
    pub modifiers: Vec<(String, String)>,
    /// `None` without braces: the node's default fields are used.
    pub children: Option<Vec<Field>>,
}

impl Field {
    pub fn modifier(&self, name: &str) -> Option<&str> {
        self.modifiers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A syntax error, worded like the Graph API's own (`Syntax error "…" at character N: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Syntax error \"{expected}\" at character {position}: {text}")]
pub struct SyntaxError {
    pub expected: String,
    pub position: usize,
    pub text: String,
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, expected: String) -> SyntaxError {
        SyntaxError {
            expected,
            position: self.pos,
            text: self.text.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn describe_here(&self) -> String {
        match self.peek() {
            Some(c) => format!("\"{}\"", c as char),
            None => "end of string".into(),
        }
    }

    fn name(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start {
            return Err(self.error(format!(
                "Expected field name instead of {}.",
                self.describe_here()
            )));
        }
        Ok(self.text[start..self.pos].to_string())
    }

    fn list(&mut self) -> Result<Vec<Field>, SyntaxError> {
        let mut fields = vec![self.field()?];
        while self.peek() == Some(b',') {
            self.pos += 1;
            fields.push(self.field()?);
        }
        Ok(fields)
    }

    fn field(&mut self) -> Result<Field, SyntaxError> {
        let name = self.name()?;
        let mut modifiers = Vec::new();
        while self.peek() == Some(b'.') {
            self.pos += 1;
            let m = self.name()?;
            if self.peek() != Some(b'(') {
                return Err(self.error(format!(
                    "Expected \"(\" instead of {}.",
                    self.describe_here()
                )));
            }
            self.pos += 1;
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c == b')' {
                    break;
                }
                self.pos += 1;
            }
            if self.peek() != Some(b')') {
                return Err(self.error("Expected \")\" instead of end of string.".into()));
            }
            let arg = self.text[start..self.pos].to_string();
            self.pos += 1;
            modifiers.push((m, arg));
        }
        let children = if self.peek() == Some(b'{') {
            self.pos += 1;
            let list = self.list()?;
            if self.peek() != Some(b'}') {
                return Err(self.error(format!(
                    "Expected \"}}\" instead of {}.",
                    self.describe_here()
                )));
            }
            self.pos += 1;
            Some(list)
        } else {
            None
        };
        Ok(Field {
            name,
            modifiers,
            children,
        })
    }
}

/// Parses a `fields` value. Spaces are not part of the grammar, as in the real API.
pub fn parse(text: &str) -> Result<Vec<Field>, SyntaxError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let list = p.list()?;
    if p.pos != text.len() {
        return Err(p.error(format!(
            "Expected end of string instead of {}.",
            p.describe_here()
        )));
    }
    Ok(list)
}

/// Writes fields back in request syntax (used to build `paging.next` URLs).
pub fn render(fields: &[Field]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&f.name);
        for (m, arg) in &f.modifiers {
            out.push('.');
            out.push_str(m);
            out.push('(');
            out.push_str(arg);
            out.push(')');
        }
        if let Some(children) = &f.children {
            out.push('{');
            out.push_str(&render(children));
            out.push('}');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_fields_and_renders_them_back() {
        let text = "id,name,permissions.limit(500){permission,status},accounts.limit(100){id,name,tasks,instagram_business_account{id,username,shopping_product_tag_eligibility},connected_instagram_account{id,username}}";
        let fields = parse(text).unwrap();
        assert_eq!(fields.len(), 4);
        assert_eq!(fields[2].name, "permissions");
        assert_eq!(fields[2].modifier("limit"), Some("500"));
        let accounts = &fields[3];
        let kids = accounts.children.as_ref().unwrap();
        assert_eq!(kids[3].name, "instagram_business_account");
        assert_eq!(kids[3].children.as_ref().unwrap().len(), 3);
        assert_eq!(render(&fields), text);
    }

    #[test]
    fn reports_where_the_syntax_breaks() {
        let err = parse("id,na}").unwrap_err();
        assert_eq!(err.position, 5);
        assert_eq!(
            err.to_string(),
            "Syntax error \"Expected end of string instead of \"}\".\" at character 5: id,na}"
        );
        assert!(parse("accounts{id").is_err());
        assert!(parse("accounts.limit(3").is_err());
        assert!(parse("id,,name").is_err());
        assert!(parse("").is_err());
    }
}
