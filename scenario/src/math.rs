//! Elementary functions built only from `+ - * /` and `sqrt`.
//!
//! IEEE 754 guarantees those operations are correctly rounded on every
//! platform, whereas `f64::exp`, `ln`, `sin`, … come from the platform's libm
//! and may differ in the last bit between, say, x86-64 glibc and
//! wasm32-unknown-unknown. A one-ulp difference can flip a sampled decision,
//! so the generator uses these versions to stay byte-identical everywhere.
//! Accuracy is a few ulps, far more than a simulation needs.

use std::f64::consts::{FRAC_PI_2, LN_2, PI};

/// `e^x`, saturating to 0 and `f64::MAX` outside the representable range.
pub(super) fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < -745.0 {
        return 0.0;
    }
    if x > 709.0 {
        return f64::MAX;
    }
    // x = k·ln2 + r with |r| <= ln2/2, then e^x = 2^k · e^r.
    let k = (x / LN_2).round();
    let r = x - k * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=20 {
        term *= r / f64::from(n);
        sum += term;
    }
    sum * power_of_two(k as i32)
}

/// Natural logarithm for `x > 0`; `-inf` for 0 and NaN for negatives.
pub(super) fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // Scale subnormals into the normal range first.
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * power_of_two(60), -60)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i32 - 1023 + bias;
    let mut mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if mantissa > std::f64::consts::SQRT_2 {
        mantissa /= 2.0;
        exponent += 1;
    }
    // ln(m) = 2·atanh(s) with s = (m-1)/(m+1), |s| <= 0.172.
    let s = (mantissa - 1.0) / (mantissa + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut n = 1.0;
    while n < 40.0 {
        sum += term / n;
        term *= s2;
        n += 2.0;
    }
    2.0 * sum + f64::from(exponent) * LN_2
}

/// Sine of an angle in radians.
pub(super) fn sin(x: f64) -> f64 {
    let r = reduce_angle(x);
    // Fold into [-pi/2, pi/2] where the Taylor series converges quickly.
    let r = if r > FRAC_PI_2 {
        PI - r
    } else if r < -FRAC_PI_2 {
        -PI - r
    } else {
        r
    };
    let r2 = r * r;
    let mut term = r;
    let mut sum = r;
    for n in 1..=12 {
        let n = f64::from(n);
        term *= -r2 / ((2.0 * n) * (2.0 * n + 1.0));
        sum += term;
    }
    sum
}

/// Cosine of an angle in radians.
pub(super) fn cos(x: f64) -> f64 {
    sin(x + FRAC_PI_2)
}

/// Arc sine for `x` in `[-1, 1]` (clamped), by Newton's method on `sin`.
pub(super) fn asin(x: f64) -> f64 {
    let x = x.clamp(-1.0, 1.0);
    // asin(x) = atan(x / sqrt(1 - x²)); near ±1 use the half-angle identity
    // asin(x) = pi/2 - 2·asin(sqrt((1 - x) / 2)) to keep Newton well conditioned.
    if x.abs() > 0.7 {
        let half = asin(((1.0 - x.abs()) / 2.0).sqrt());
        return (FRAC_PI_2 - 2.0 * half).copysign(x);
    }
    let mut angle = x;
    for _ in 0..8 {
        let c = cos(angle);
        angle -= (sin(angle) - x) / c;
    }
    angle
}

fn reduce_angle(x: f64) -> f64 {
    let turns = (x / (2.0 * PI)).round();
    x - turns * 2.0 * PI
}

fn power_of_two(k: i32) -> f64 {
    // Split large exponents so intermediate values stay normal.
    let mut result = 1.0;
    let mut k = k;
    while k > 1000 {
        result *= f64::from_bits(((1023 + 1000) as u64) << 52);
        k -= 1000;
    }
    while k < -1000 {
        result *= f64::from_bits(((1023 - 1000) as u64) << 52);
        k += 1000;
    }
    result * f64::from_bits(((1023 + k) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64) {
        let tolerance = 1e-13 * expected.abs().max(1.0);
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} != {expected}"
        );
    }

    #[test]
    fn agrees_with_platform_functions() {
        for i in -400..=400 {
            let x = f64::from(i) * 0.037;
            assert_close(exp(x), x.exp());
            assert_close(sin(x), x.sin());
            assert_close(cos(x), x.cos());
            if x > 0.0 {
                assert_close(ln(x), x.ln());
                assert_close(ln(x * 1e-200), (x * 1e-200).ln());
            }
        }
        for i in -100..=100 {
            let x = f64::from(i) / 100.0;
            assert_close(asin(x), x.asin());
        }
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
    }
}
