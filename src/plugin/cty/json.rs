//! The JSON form of values (raw state in UpgradeResourceState, `DynamicValue.json`).
//!
//! JSON numbers must keep their exact decimal text, which serde_json only does with its
//! workspace-wide `arbitrary_precision` feature (it changes `serde_json::Value` for every
//! crate). So this module has its own small parser that keeps numbers as text; serde_json
//! only escapes strings on output.

use std::collections::BTreeMap;

use super::number::Number;
use super::path::{DecodeError, EncodeError, Path, PathStep};
use super::value::{Type, Value, MAX_DEPTH};

/// How strictly [`decode_with`] reads objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Skip object attributes the type does not have, at any depth, instead of failing:
    /// state stored before an attribute was removed from the schema still reads.
    pub ignore_unknown_attributes: bool,
}

/// Decodes strictly: an object attribute the type does not have is an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    decode_with(bytes, ty, DecodeOptions::default())
}

pub fn decode_with(bytes: &[u8], ty: &Type, options: DecodeOptions) -> Result<Value, DecodeError> {
    let root_error = |message: String| DecodeError {
        path: Path::default(),
        message,
    };
    let mut parser = Parser { s: bytes, pos: 0 };
    let json = parser.document().map_err(root_error)?;
    let mut decoder = Decoder {
        path: Vec::new(),
        options,
    };
    decoder.value(json, ty)
}

pub fn encode(v: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = Encoder {
        out: Vec::new(),
        path: Vec::new(),
    };
    encoder.value(v, ty)?;
    Ok(encoder.out)
}

/// A parsed JSON document; numbers keep their text.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn describe(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// For type descriptions, which contain no numbers.
    fn into_serde(self) -> serde_json::Value {
        match self {
            Json::Null | Json::Number(_) => serde_json::Value::Null,
            Json::Bool(b) => b.into(),
            Json::String(s) => s.into(),
            Json::Array(items) => items.into_iter().map(Json::into_serde).collect(),
            Json::Object(entries) => serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.into_serde()))
                    .collect(),
            ),
        }
    }
}

/// A strict RFC 8259 parser with a nesting bound. Errors name the byte offset only.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn document(&mut self) -> Result<Json, String> {
        let value = self.value(0)?;
        self.skip_whitespace();
        match self.pos == self.s.len() {
            true => Ok(value),
            false => Err(self.error("unexpected data after the JSON value")),
        }
    }

    fn error(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        match self.s[self.pos..].starts_with(word.as_bytes()) {
            true => {
                self.pos += word.len();
                Ok(value)
            }
            false => Err(self.error("unexpected character")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.error("unexpected end")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("expected ',' or ']'"));
                        }
                    }
                }
                Ok(Json::Array(items))
            }
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.skip_whitespace();
                        if self.peek() != Some(b'"') {
                            return Err(self.error("expected a string key"));
                        }
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return Err(self.error("expected ':'"));
                        }
                        entries.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("expected ',' or '}'"));
                        }
                    }
                }
                Ok(Json::Object(entries))
            }
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = self.digits();
        if int_digits == 0 || (int_digits > 1 && self.s[int_start] == b'0') {
            return Err(self.error("malformed number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("malformed number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("malformed number"));
            }
        }
        // Only ASCII digits and signs were consumed.
        let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
        Ok(Json::Number(text))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let mut n = 0;
        for &d in digits {
            let v = char::from(d)
                .to_digit(16)
                .ok_or_else(|| self.error("bad \\u escape"))?;
            n = n * 16 + v;
        }
        self.pos += 4;
        Ok(n)
    }

    /// A string token; `self.pos` is at its opening quote.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        // Most strings hold no escape: take them in one piece.
        let rest = &self.s[self.pos..];
        if let Some(end) = rest
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | 0x00..=0x1f))
        {
            if rest[end] == b'"' {
                self.pos += end + 1;
                return match std::str::from_utf8(&rest[..end]) {
                    Ok(text) => Ok(text.to_owned()),
                    Err(_) => Err(self.error("string is not valid UTF-8")),
                };
            }
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(escape) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    let simple = match escape {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let c = self.unicode_escape()?;
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return Err(self.error("bad escape")),
                    };
                    out.push(simple);
                }
                0x00..=0x1f => return Err(self.error("control character in string")),
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| self.error("string is not valid UTF-8"))
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                if !self.s[self.pos..].starts_with(b"\\u") {
                    return Err(self.error("unpaired surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(self.error("unpaired surrogate"));
                }
                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
            }
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate"))
    }
}

struct Decoder {
    path: Vec<PathStep>,
    options: DecodeOptions,
}

impl Decoder {
    fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError {
            path: Path(self.path.clone()),
            message: message.into(),
        }
    }

    fn expected(&self, ty: &Type, found: &Json) -> DecodeError {
        self.error(format!(
            "expected {}, found {}",
            ty.kind_name(),
            found.describe()
        ))
    }

    /// Terraform's JSON decoder also converts between primitive kinds (state written by
    /// older providers may hold `"5"` for a number); this follows it.
    fn value(&mut self, json: Json, ty: &Type) -> Result<Value, DecodeError> {
        match (ty, json) {
            (_, Json::Null) => Ok(Value::Null),
            (Type::Dynamic, Json::Object(entries)) => self.dynamic(entries),
            (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Bool, Json::String(s)) => match s.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(self.error("a string that is not a bool")),
            },
            (Type::Number, Json::Number(text) | Json::String(text)) => text
                .parse::<Number>()
                .map(Value::Number)
                .map_err(|e| self.error(e.to_string())),
            (Type::String, Json::String(s) | Json::Number(s)) => Ok(Value::String(s)),
            (Type::String, Json::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::List(elem), Json::Array(items)) => {
                self.elements(items, |_| elem.as_ref()).map(Value::List)
            }
            (Type::Set(elem), Json::Array(items)) => {
                self.elements(items, |_| elem.as_ref()).map(Value::Set)
            }
            (Type::Tuple(elems), Json::Array(items)) if items.len() == elems.len() => {
                self.elements(items, |i| &elems[i]).map(Value::Tuple)
            }
            (Type::Tuple(elems), Json::Array(items)) => Err(self.error(format!(
                "expected a tuple of {} elements, found {}",
                elems.len(),
                items.len()
            ))),
            (Type::Map(elem), Json::Object(entries)) => self
                .entries(entries, |_| Some(elem.as_ref()), PathStep::Key)
                .map(Value::Map),
            (Type::Object(attrs), Json::Object(entries)) => {
                let mut values = self.entries(entries, |name| attrs.get(name), PathStep::Attr)?;
                if values.len() < attrs.len() {
                    for name in attrs.keys() {
                        if !values.contains_key(name) {
                            values.insert(name.clone(), Value::Null);
                        }
                    }
                }
                Ok(Value::Object(values))
            }
            (ty, other) => Err(self.expected(ty, &other)),
        }
    }

    fn dynamic(&mut self, entries: Vec<(String, Json)>) -> Result<Value, DecodeError> {
        let mut ty = None;
        let mut value = None;
        for (key, json) in entries {
            match key.as_str() {
                "type" if ty.is_none() => {
                    let parsed =
                        Type::from_json(&json.into_serde()).map_err(|e| self.error(e.message))?;
                    ty = Some(parsed);
                }
                "value" if value.is_none() => value = Some(json),
                _ => {
                    return Err(
                        self.error("a dynamic value has exactly the keys \"type\" and \"value\"")
                    )
                }
            }
        }
        let ty = ty.ok_or_else(|| self.error("a dynamic value needs a \"type\""))?;
        if ty == Type::Dynamic {
            return Err(self.error("a dynamic value's type must be concrete"));
        }
        let value = self.value(value.unwrap_or(Json::Null), &ty)?;
        Ok(Value::Dynamic(Box::new(ty), Box::new(value)))
    }

    fn elements<'t>(
        &mut self,
        items: Vec<Json>,
        elem_type: impl Fn(usize) -> &'t Type,
    ) -> Result<Vec<Value>, DecodeError> {
        let mut values = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            self.path.push(PathStep::Index(i as u64));
            values.push(self.value(item, elem_type(i))?);
            self.path.pop();
        }
        Ok(values)
    }

    fn entries<'t>(
        &mut self,
        entries: Vec<(String, Json)>,
        value_type: impl Fn(&str) -> Option<&'t Type>,
        step: fn(String) -> PathStep,
    ) -> Result<BTreeMap<String, Value>, DecodeError> {
        let mut values = BTreeMap::new();
        for (key, json) in entries {
            // Only objects name their keys: a map's element type covers every key.
            let (ty, duplicate) = (value_type(&key), values.contains_key(&key));
            // The key lives on the path while its value decodes, then moves into the map.
            self.path.push(step(key));
            let Some(ty) = ty else {
                if self.options.ignore_unknown_attributes {
                    self.path.pop();
                    continue;
                }
                return Err(self.error("unsupported attribute"));
            };
            if duplicate {
                return Err(self.error("duplicate key"));
            }
            let value = self.value(json, ty)?;
            if let Some(PathStep::Attr(key) | PathStep::Key(key)) = self.path.pop() {
                values.insert(key, value);
            }
        }
        Ok(values)
    }
}

struct Encoder {
    out: Vec<u8>,
    path: Vec<PathStep>,
}

impl Encoder {
    fn error(&self, message: impl Into<String>) -> EncodeError {
        EncodeError {
            path: Path(self.path.clone()),
            message: message.into(),
        }
    }

    fn string(&mut self, s: &str) {
        // Serialising a str cannot fail.
        let _ = serde_json::to_writer(&mut self.out, s);
    }

    fn value(&mut self, v: &Value, ty: &Type) -> Result<(), EncodeError> {
        match (ty, v) {
            (_, Value::Null) => self.out.extend_from_slice(b"null"),
            (_, Value::Unknown(_)) => {
                return Err(self.error("an unknown value cannot be written as JSON"))
            }
            (Type::Dynamic, Value::Dynamic(inner_ty, _)) if **inner_ty == Type::Dynamic => {
                return Err(self.error("a dynamic value needs a concrete type"))
            }
            (Type::Dynamic, Value::Dynamic(inner_ty, inner)) => {
                self.out.extend_from_slice(b"{\"value\":");
                self.value(inner, inner_ty)?;
                self.out.extend_from_slice(b",\"type\":");
                self.out.extend_from_slice(&inner_ty.to_json_bytes());
                self.out.push(b'}');
            }
            (Type::Dynamic, _) => {
                return Err(self
                    .error("a value in a dynamic position must carry its type (Value::Dynamic)"))
            }
            (Type::Bool, Value::Bool(b)) => {
                self.out
                    .extend_from_slice(if *b { b"true" } else { b"false" })
            }
            (Type::Number, Value::Number(n)) => {
                self.out.extend_from_slice(n.to_string().as_bytes())
            }
            (Type::String, Value::String(s)) => self.string(s),
            (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
                self.array(items, |_| elem.as_ref())?
            }
            (Type::Tuple(elems), Value::Tuple(items)) if elems.len() == items.len() => {
                self.array(items, |i| &elems[i])?
            }
            (Type::Map(elem), Value::Map(entries)) => self.object(
                entries.iter().map(|(k, v)| (k, v, elem.as_ref())),
                PathStep::Key,
            )?,
            (Type::Object(attrs), Value::Object(values)) => {
                if let Some(extra) = values.keys().find(|k| !attrs.contains_key(*k)) {
                    self.path.push(PathStep::Attr(extra.clone()));
                    return Err(self.error("attribute not in the type"));
                }
                let all = attrs
                    .iter()
                    .map(|(name, ty)| (name, values.get(name).unwrap_or(&Value::Null), ty));
                self.object(all, PathStep::Attr)?
            }
            (ty, _) => return Err(self.error(format!("expected {}", ty.kind_name()))),
        }
        Ok(())
    }

    fn array<'t>(
        &mut self,
        items: &[Value],
        elem_type: impl Fn(usize) -> &'t Type,
    ) -> Result<(), EncodeError> {
        self.out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.path.push(PathStep::Index(i as u64));
            self.value(item, elem_type(i))?;
            self.path.pop();
        }
        self.out.push(b']');
        Ok(())
    }

    fn object<'v>(
        &mut self,
        entries: impl Iterator<Item = (&'v String, &'v Value, &'v Type)>,
        step: fn(String) -> PathStep,
    ) -> Result<(), EncodeError> {
        self.out.push(b'{');
        for (i, (key, value, ty)) in entries.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.path.push(step(key.clone()));
            self.string(key);
            self.out.push(b':');
            self.value(value, ty)?;
            self.path.pop();
        }
        self.out.push(b'}');
        Ok(())
    }
}
