//! Shamir secret sharing of the data key across key groups, byte-compatible with SOPS's fork of
//! Vault's implementation: GF(2^8) with the AES polynomial, share `g` evaluated at `x = g + 1`,
//! a share is the 32 evaluations followed by the one byte `x`.

use rand::RngCore;
use zeroize::Zeroizing;

fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

fn inv(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8).
    let mut r = 1u8;
    for _ in 0..254 {
        r = mul(r, a);
    }
    r
}

fn eval(coeffs: &[u8], x: u8) -> u8 {
    coeffs.iter().rev().fold(0u8, |acc, c| mul(acc, x) ^ c)
}

/// Splits `secret` into `parts` shares, any `threshold` of which recombine it, with
/// coefficients from `coeff(byte_index, degree)`.
fn split_with(
    secret: &[u8],
    parts: usize,
    threshold: usize,
    mut coeff: impl FnMut(usize, usize) -> u8,
) -> Result<Vec<Zeroizing<Vec<u8>>>, String> {
    if !(2..=255).contains(&parts) || threshold < 2 || threshold > parts {
        return Err(format!(
            "invalid Shamir parameters: threshold {threshold} of {parts} groups (need 2 <= threshold <= groups <= 255)"
        ));
    }
    let mut shares: Vec<Zeroizing<Vec<u8>>> = (0..parts)
        .map(|_| Zeroizing::new(Vec::with_capacity(secret.len() + 1)))
        .collect();
    let mut poly = Zeroizing::new(vec![0u8; threshold]);
    for (i, s) in secret.iter().enumerate() {
        poly[0] = *s;
        for (d, c) in poly.iter_mut().enumerate().skip(1) {
            *c = coeff(i, d);
        }
        for (g, share) in shares.iter_mut().enumerate() {
            share.push(eval(&poly, g as u8 + 1));
        }
    }
    for (g, share) in shares.iter_mut().enumerate() {
        share.push(g as u8 + 1);
    }
    Ok(shares)
}

/// Splits with random coefficients.
pub fn split(
    secret: &[u8],
    parts: usize,
    threshold: usize,
) -> Result<Vec<Zeroizing<Vec<u8>>>, String> {
    let mut rng = rand::rngs::OsRng;
    split_with(secret, parts, threshold, |_, _| {
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        b[0]
    })
}

/// Recombines shares (all that were recovered, as upstream does).
pub fn combine(shares: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>, String> {
    if shares.len() < 2 {
        return Err("need at least two shares".into());
    }
    let len = shares[0].len();
    if len < 2 || shares.iter().any(|s| s.len() != len) {
        return Err("shares have different or invalid lengths".into());
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err("duplicate share".into());
        }
    }
    let mut out = Zeroizing::new(vec![0u8; len - 1]);
    for (i, share) in shares.iter().enumerate() {
        // Lagrange basis at 0: prod_{j != i} x_j / (x_i - x_j).
        let mut basis = 1u8;
        for (j, xj) in xs.iter().enumerate() {
            if i != j {
                basis = mul(basis, mul(*xj, inv(xs[i] ^ xj)));
            }
        }
        for (o, y) in out.iter_mut().zip(share.iter()) {
            *o ^= mul(*y, basis);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn vectors() -> serde_json::Value {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../fixtures/vectors.json")).unwrap();
        v["shamir"].clone()
    }

    #[test]
    fn gf_products() {
        for row in vectors()["gf256_mul"].as_array().unwrap() {
            let (a, b) = (
                row["a"].as_u64().unwrap() as u8,
                row["b"].as_u64().unwrap() as u8,
            );
            assert_eq!(mul(a, b) as u64, row["product"].as_u64().unwrap());
        }
    }

    #[test]
    fn splits_match_vectors_and_combine() {
        let v = vectors();
        let s = &v["split_2_of_3"];
        let secret = hex(s["secret_hex"].as_str().unwrap());
        let shares = split_with(&secret, 3, 2, |i, _| ((i * 37 + 11) % 256) as u8).unwrap();
        let want: Vec<Vec<u8>> = s["shares_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hex(h.as_str().unwrap()))
            .collect();
        assert_eq!(shares.iter().map(|s| s.to_vec()).collect::<Vec<_>>(), want);
        let s = &v["split_3_of_4"];
        let shares = split_with(&secret, 4, 3, |i, d| {
            if d == 1 {
                ((i * 53 + 7) % 256) as u8
            } else {
                ((i * 91 + 200) % 256) as u8
            }
        })
        .unwrap();
        let want: Vec<Vec<u8>> = s["shares_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hex(h.as_str().unwrap()))
            .collect();
        assert_eq!(shares.iter().map(|s| s.to_vec()).collect::<Vec<_>>(), want);
        let used = [&want[3][..], &want[0][..], &want[2][..]];
        assert_eq!(combine(&used).unwrap().to_vec(), secret);
        assert!(combine(&[&want[0][..], &want[0][..]]).is_err());
    }

    proptest! {
        #[test]
        fn any_threshold_subset_recombines(secret in proptest::collection::vec(any::<u8>(), 32), parts in 2usize..6, t in 2usize..6) {
            let t = t.min(parts);
            let shares = split(&secret, parts, t).unwrap();
            let subset: Vec<&[u8]> = shares.iter().rev().take(t).map(|s| s.as_slice()).collect();
            prop_assert_eq!(combine(&subset).unwrap().to_vec(), secret);
        }
    }
}
