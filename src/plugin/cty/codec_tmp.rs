// TEMPORARY until the codec branch lands.
use super::{Type, Value};
#[derive(Debug)]
pub struct DecodeError(pub String);
impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub type EncodeError = DecodeError;
pub mod msgpack {
    use super::*;
    pub fn decode(_: &[u8], _: &Type) -> Result<Value, DecodeError> {
        Err(DecodeError("todo".into()))
    }
    pub fn encode(_: &Value, _: &Type) -> Result<Vec<u8>, EncodeError> {
        Err(DecodeError("todo".into()))
    }
}
pub mod json {
    use super::*;
    pub fn decode(_: &[u8], _: &Type) -> Result<Value, DecodeError> {
        Err(DecodeError("todo".into()))
    }
}
