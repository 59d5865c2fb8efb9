//! The msgpack wire form of values (`DynamicValue.msgpack`), per Terraform's
//! `object-wire-format.md`: `decode.rs` reads it against the expected type, `encode.rs`
//! writes it, and `unknown.rs` holds the extension codes both use for unknown values.

mod decode;
mod encode;
mod unknown;

pub use decode::decode;
pub use encode::encode;
