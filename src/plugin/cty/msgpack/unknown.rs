//! How an unknown value travels: a plain unknown is any extension (Terraform writes ext 0);
//! a refined one is extension 12, whose payload maps these keys to what is promised.

/// Extension type of an unknown value that carries refinements.
pub(super) const EXT_REFINED_UNKNOWN: i8 = 12;

/// Refinement map keys.
pub(super) const REFINE_NULLNESS: i64 = 1;
pub(super) const REFINE_STRING_PREFIX: i64 = 2;
pub(super) const REFINE_NUMBER_LOWER: i64 = 3;
pub(super) const REFINE_NUMBER_UPPER: i64 = 4;
pub(super) const REFINE_LENGTH_LOWER: i64 = 5;
pub(super) const REFINE_LENGTH_UPPER: i64 = 6;
