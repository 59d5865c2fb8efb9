//! Terraform numbers: arbitrary-precision decimals. Terraform parses `0.1` or `1e400`
//! exactly and expects them back unchanged, so nothing here rounds through `f64`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The largest decimal exponent accepted. Far beyond any real configuration, yet small
/// enough that printing a hostile number stays cheap.
const MAX_EXPONENT: i64 = 10_000;

/// An exact decimal number: `±digits × 10^exponent`, kept in canonical form (no leading or
/// trailing zeros in `digits`; zero has no digits) so that derived equality is numeric.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// ASCII digits of the significand.
    digits: String,
    exponent: i64,
}

/// Text that is not a finite decimal number (or is absurdly large).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseNumberError;

impl fmt::Display for ParseNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a finite decimal number within ±1e10000")
    }
}

impl std::error::Error for ParseNumberError {}

impl Number {
    pub fn zero() -> Self {
        Number {
            negative: false,
            digits: String::new(),
            exponent: 0,
        }
    }

    pub fn from_i64(n: i64) -> Self {
        Self::from_integer_text(n < 0, &n.unsigned_abs().to_string())
    }

    pub fn from_u64(n: u64) -> Self {
        Self::from_integer_text(false, &n.to_string())
    }

    /// The exact value of a finite float (its binary value, not its shortest decimal
    /// rendering: Terraform compares numbers exactly). `None` for NaN and infinities.
    pub fn from_f64(f: f64) -> Option<Self> {
        if !f.is_finite() {
            return None;
        }
        if f == 0.0 {
            return Some(Self::zero());
        }
        let bits = f.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1 << 52) - 1);
        let (mut mantissa, mut exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        let shift = mantissa.trailing_zeros();
        mantissa >>= shift;
        exp2 += i64::from(shift);
        // f = mantissa × 2^exp2; for negative exp2 that is mantissa × 5^-exp2 × 10^exp2.
        let mut big = BigDecimalInt::from_u64(mantissa);
        let exponent = if exp2 >= 0 {
            big.mul_pow(2, exp2 as u32);
            0
        } else {
            big.mul_pow(5, (-exp2) as u32);
            exp2
        };
        Self::from_parts(f < 0.0, &big.to_string(), exponent).ok()
    }

    /// Builds `±digits × 10^exponent` from any digit string, normalising it.
    fn from_parts(negative: bool, digits: &str, exponent: i64) -> Result<Self, ParseNumberError> {
        let trimmed = digits.trim_start_matches('0');
        let significant = trimmed.trim_end_matches('0');
        if significant.is_empty() {
            return Ok(Self::zero());
        }
        let exponent = exponent.saturating_add((trimmed.len() - significant.len()) as i64);
        let magnitude = exponent.saturating_add(significant.len() as i64);
        if !(-MAX_EXPONENT..=MAX_EXPONENT).contains(&exponent) || magnitude > MAX_EXPONENT {
            return Err(ParseNumberError);
        }
        Ok(Number {
            negative,
            digits: significant.to_owned(),
            exponent,
        })
    }

    fn from_integer_text(negative: bool, digits: &str) -> Self {
        // Integer text from `to_string` is always in range, so this cannot fail.
        Self::from_parts(negative, digits, 0).unwrap_or_else(|_| Self::zero())
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_integer(&self) -> bool {
        self.exponent >= 0
    }

    /// The value as an i64, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        let magnitude = self.as_integer_magnitude()?;
        if self.negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// The value as a u64, if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self.negative {
            true => None,
            false => self.as_integer_magnitude(),
        }
    }

    fn as_integer_magnitude(&self) -> Option<u64> {
        if self.is_zero() {
            return Some(0);
        }
        if !self.is_integer() || self.magnitude() > 20 {
            return None;
        }
        let significand = self.digits.bytes().try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
        significand.checked_mul(10u64.checked_pow(self.exponent as u32)?)
    }

    /// The nearest f64 (correctly rounded; ±infinity beyond the f64 range).
    pub fn as_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let sign = if self.negative { "-" } else { "" };
        format!("{sign}{}e{}", self.digits, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Whether an f64 holds exactly this value.
    pub fn is_exact_f64(&self) -> bool {
        Number::from_f64(self.as_f64()).as_ref() == Some(self)
    }

    /// Position of the most significant digit: the value's magnitude is in
    /// `[10^(m-1), 10^m)`.
    fn magnitude(&self) -> i64 {
        self.digits.len() as i64 + self.exponent
    }

    fn cmp_abs(&self, other: &Self) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            // Same magnitude and no trailing zeros: digit strings compare like fractions.
            (false, false) => self
                .magnitude()
                .cmp(&other.magnitude())
                .then_with(|| self.digits.cmp(&other.digits)),
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_abs(other),
            (true, true) => other.cmp_abs(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number::from_i64(n)
    }
}

impl FromStr for Number {
    type Err = ParseNumberError;

    /// Decimal or scientific notation: `-12`, `0.5`, `.5`, `5.`, `1e400`, `+2.5E-3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.as_bytes();
        let mut i = 0;
        let negative = match s.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let digits_run =
            |from: usize| from + s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
        let int_end = digits_run(i);
        let int_part = &s[i..int_end];
        let mut frac_part: &[u8] = &[];
        i = int_end;
        if s.get(i) == Some(&b'.') {
            let frac_end = digits_run(i + 1);
            frac_part = &s[i + 1..frac_end];
            i = frac_end;
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(ParseNumberError);
        }
        let mut exponent: i64 = 0;
        if matches!(s.get(i), Some(b'e' | b'E')) {
            i += 1;
            let exp_negative = match s.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let exp_end = digits_run(i);
            if exp_end == i {
                return Err(ParseNumberError);
            }
            for &d in &s[i..exp_end] {
                // Saturate: anything this large is rejected by `from_parts` anyway.
                exponent = (exponent * 10 + i64::from(d - b'0')).min(1 << 40);
            }
            if exp_negative {
                exponent = -exponent;
            }
            i = exp_end;
        }
        if i != s.len() {
            return Err(ParseNumberError);
        }
        // The slices hold ASCII digits only, so they are valid UTF-8.
        let mut digits = String::with_capacity(int_part.len() + frac_part.len());
        digits.extend(int_part.iter().chain(frac_part).map(|&b| char::from(b)));
        Number::from_parts(negative, &digits, exponent - frac_part.len() as i64)
    }
}

/// Canonical plain decimal notation, never scientific: `-0.125`, `1000`, `0`.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let len = self.digits.len() as i64;
        if self.exponent >= 0 {
            f.write_str(&self.digits)?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
        } else if -self.exponent < len {
            let (int, frac) = self.digits.split_at((len + self.exponent) as usize);
            write!(f, "{int}.{frac}")?;
        } else {
            f.write_str("0.")?;
            for _ in 0..(-self.exponent - len) {
                f.write_str("0")?;
            }
            f.write_str(&self.digits)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

/// A non-negative integer in base 10^9 limbs (least significant first), just enough
/// arithmetic to expand a float exactly.
struct BigDecimalInt(Vec<u64>);

const LIMB: u64 = 1_000_000_000;

impl BigDecimalInt {
    fn from_u64(n: u64) -> Self {
        let mut limbs = Vec::new();
        let mut rest = n;
        while rest > 0 {
            limbs.push(rest % LIMB);
            rest /= LIMB;
        }
        BigDecimalInt(limbs)
    }

    fn mul_small(&mut self, factor: u64) {
        let mut carry = 0;
        for limb in &mut self.0 {
            let product = *limb * factor + carry;
            *limb = product % LIMB;
            carry = product / LIMB;
        }
        while carry > 0 {
            self.0.push(carry % LIMB);
            carry /= LIMB;
        }
    }

    /// Multiplies by `base^power` for base 2 or 5, in chunks that keep products in u64.
    fn mul_pow(&mut self, base: u64, mut power: u32) {
        let chunk = if base == 2 { 29 } else { 12 };
        while power > 0 {
            let step = power.min(chunk);
            self.mul_small(base.pow(step));
            power -= step;
        }
    }
}

impl fmt::Display for BigDecimalInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut limbs = self.0.iter().rev();
        match limbs.next() {
            None => f.write_str("0"),
            Some(top) => {
                write!(f, "{top}")?;
                limbs.try_for_each(|limb| write!(f, "{limb:09}"))
            }
        }
    }
}
