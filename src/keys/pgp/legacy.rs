//! Reads the messages that SOPS wrote with Go's OpenPGP library (`golang.org/x/crypto/openpgp`,
//! used whenever a legacy `pubring.gpg` existed). Most upstream fixtures are such files.
//!
//! That library bends two framing rules that GnuPG tolerates and sequoia enforces without a
//! lenient mode: the RSA ciphertext MPI of a PKESK carries a bit count of `8 × bytes`
//! (non-canonical whenever its top bits are zero), and data packets start with a 1-byte
//! partial body chunk where at least 512 bytes are required. The outer packets are
//! re-framed before sequoia parses them ([`normalize`]); the literal packet inside the
//! encrypted container cannot be re-framed before decryption, so once sequoia has recovered
//! the session key [`open_seipd_v1`] decrypts the container itself (CFB over sequoia's block
//! cipher, with the quick check and the MDC verified) and hands the re-framed plaintext
//! packets back to sequoia.

use std::io::Read;

use sequoia_openpgp as openpgp;

use openpgp::crypto::symmetric::{BlockCipherMode, Encryptor, PaddingMode};
use openpgp::crypto::SessionKey;
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::types::{HashAlgorithm, SymmetricAlgorithm};
use zeroize::Zeroizing;

/// Packet tag of a public-key encrypted session key.
const PKESK: u8 = 1;
/// Packet tag of a symmetrically encrypted and integrity protected data packet.
const SEIP: u8 = 18;
/// Header of the modification detection code packet closing a SEIPDv1 plaintext.
const MDC_HEADER: [u8; 2] = [0xd3, 0x14];

/// `message` (binary OpenPGP) with canonical MPIs in its v3 RSA/ElGamal PKESKs and partial
/// body lengths replaced by one definite length, or `None` if nothing needs to change or the
/// layout is not understood.
pub(super) fn normalize(message: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(message.len());
    let mut rest = message;
    let mut changed = false;
    while !rest.is_empty() {
        let p = packet(rest)?;
        let fixed = (p.tag == PKESK)
            .then(|| canonical_body(&p.body))
            .flatten()
            .filter(|b| *b != p.body);
        if p.partial || fixed.is_some() {
            changed = true;
            let body = fixed.unwrap_or(p.body);
            write_header(&mut out, p.tag, body.len());
            out.extend_from_slice(&body);
        } else {
            out.extend_from_slice(&rest[..p.consumed]);
        }
        rest = &rest[p.consumed..];
    }
    changed.then_some(out)
}

/// One top-level packet: its tag, its body (partial chunks joined), whether it used partial
/// lengths, and how many bytes it occupied.
struct Packet {
    tag: u8,
    body: Vec<u8>,
    partial: bool,
    consumed: usize,
}

fn packet(data: &[u8]) -> Option<Packet> {
    let first = *data.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    if first & 0x40 == 0 {
        // Old format: tag in bits 5..2, length type in bits 1..0 (3: to the end).
        let tag = (first >> 2) & 0x0f;
        let (start, len) = match first & 3 {
            3 => (1, data.len() - 1),
            t => {
                let n = 1usize << t;
                (1 + n, be(data.get(1..1 + n)?))
            }
        };
        let end = start.checked_add(len)?;
        return Some(Packet {
            tag,
            body: data.get(start..end)?.to_vec(),
            partial: false,
            consumed: end,
        });
    }
    let tag = first & 0x3f;
    let mut body = Vec::new();
    let mut pos = 1;
    let mut partial = false;
    loop {
        let b0 = *data.get(pos)? as usize;
        let (header, len, last) = match b0 {
            0..=191 => (1, b0, true),
            192..=223 => (
                2,
                ((b0 - 192) << 8) + *data.get(pos + 1)? as usize + 192,
                true,
            ),
            255 => (5, be(data.get(pos + 1..pos + 5)?), true),
            _ => (1, 1usize << (b0 & 0x1f), false),
        };
        let start = pos + header;
        let end = start.checked_add(len)?;
        body.extend_from_slice(data.get(start..end)?);
        pos = end;
        if last {
            break;
        }
        partial = true;
    }
    Some(Packet {
        tag,
        body,
        partial,
        consumed: pos,
    })
}

fn be(bytes: &[u8]) -> usize {
    bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize)
}

/// Decrypts the SEIPDv1 packet of `message` (already [`normalize`]d) with a recovered
/// session key and returns the body of its literal data packet, at most `limit + 1` bytes.
pub(super) fn open_seipd_v1(
    message: &[u8],
    algo: SymmetricAlgorithm,
    key: &SessionKey,
    limit: usize,
) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut rest = message;
    let body = loop {
        let p = packet(rest).ok_or("unreadable packet framing")?;
        if p.tag == SEIP {
            break p.body;
        }
        rest = &rest[p.consumed..];
    };
    let (&version, ciphertext) = body.split_first().ok_or("empty encrypted packet")?;
    if version != 1 {
        return Err(format!("unsupported encrypted packet version {version}"));
    }
    let plain = cfb_decrypt(algo, key, ciphertext)?;
    let bs = algo.block_size().map_err(|e| e.to_string())?;
    if plain.len() < bs + 2 + 22 || plain[bs - 2..bs] != plain[bs..bs + 2] {
        return Err("session key does not fit the encrypted data".into());
    }
    let (hashed, mdc) = plain.split_at(plain.len() - 20);
    if hashed[hashed.len() - 2..] != MDC_HEADER {
        return Err("the integrity check (MDC) is missing".into());
    }
    let mut sha1 = HashAlgorithm::SHA1
        .context()
        .map_err(|e| e.to_string())?
        .for_digest();
    sha1.update(hashed);
    if sha1.into_digest().map_err(|e| e.to_string())? != mdc {
        return Err("the integrity check (MDC) failed: the message was modified".into());
    }
    let packets = &hashed[bs + 2..hashed.len() - 2];
    let packets =
        normalize(packets).map_or_else(|| Zeroizing::new(packets.to_vec()), Zeroizing::new);
    literal_body(&packets, limit).map_err(|e| format!("unreadable decrypted content: {e}"))
}

/// Full-block CFB with a zero IV (RFC 4880 §5.13): each keystream block is the cipher applied
/// to the previous ciphertext block, computed here as ECB over the shifted ciphertext.
fn cfb_decrypt(
    algo: SymmetricAlgorithm,
    key: &SessionKey,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, String> {
    let bs = algo.block_size().map_err(|e| e.to_string())?;
    let blocks = ciphertext.len().div_ceil(bs);
    let mut inputs = vec![0u8; bs];
    inputs.extend_from_slice(&ciphertext[..blocks.saturating_sub(1) * bs]);
    let mut ecb = Encryptor::new(
        algo,
        BlockCipherMode::ECB,
        PaddingMode::None,
        key,
        None,
        Vec::new(),
    )
    .map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut ecb, &inputs).map_err(|e| e.to_string())?;
    let keystream = Zeroizing::new(ecb.finalize().map_err(|e| e.to_string())?);
    Ok(Zeroizing::new(
        ciphertext
            .iter()
            .zip(keystream.iter())
            .map(|(c, k)| c ^ k)
            .collect(),
    ))
}

/// The content of the first literal data packet (through compression, if any).
fn literal_body(packets: &[u8], limit: usize) -> openpgp::Result<Zeroizing<Vec<u8>>> {
    let mut ppr = PacketParser::from_bytes(packets)?;
    while let PacketParserResult::Some(mut pp) = ppr {
        if let openpgp::Packet::Literal(_) = pp.packet {
            let mut out = Zeroizing::new(Vec::new());
            (&mut pp).take(limit as u64 + 1).read_to_end(&mut out)?;
            return Ok(out);
        }
        ppr = pp.recurse()?.1;
    }
    Err(openpgp::anyhow::anyhow!("no literal data packet"))
}

/// A PKESK v3 body with its MPIs re-encoded (RSA: one MPI, ElGamal: two).
fn canonical_body(body: &[u8]) -> Option<Vec<u8>> {
    let (&version, rest) = body.split_first()?;
    if version != 3 || rest.len() < 9 {
        return None;
    }
    let mpis = match rest[8] {
        1 | 2 => 1,
        16 | 20 => 2,
        _ => return None,
    };
    let mut out = body[..10].to_vec();
    let mut rest = &body[10..];
    for _ in 0..mpis {
        let bits = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize;
        let len = bits.div_ceil(8);
        let value = rest.get(2..2 + len)?;
        let value = &value[value.iter().take_while(|b| **b == 0).count()..];
        let bits = match value.first() {
            Some(&top) => value.len() * 8 - top.leading_zeros() as usize,
            None => 0,
        };
        out.extend_from_slice(&u16::try_from(bits).ok()?.to_be_bytes());
        out.extend_from_slice(value);
        rest = &rest[2 + len..];
    }
    if !rest.is_empty() {
        return None;
    }
    Some(out)
}

/// A new-format packet header.
fn write_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(0xc0 | tag);
    match len {
        0..=191 => out.push(len as u8),
        192..=8383 => {
            let l = len - 192;
            out.push((l >> 8) as u8 + 192);
            out.push((l & 0xff) as u8);
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_canonical_mpis_and_partial_lengths_are_re_encoded() {
        // Old-format PKESK header (tag 1, 1-byte length), RSA, a 16-bit MPI whose value is
        // 0x00 0x32: canonical form is 6 bits, one byte.
        let body = [3, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 16, 0x00, 0x32];
        let mut msg = vec![0x84, body.len() as u8];
        msg.extend_from_slice(&body);
        // A SEIP packet in partial chunks of 1 and 2 bytes, then a final 1-byte chunk.
        msg.extend_from_slice(&[0xd2, 0xe0, 0x01, 0xe1, 0xaa, 0xbb, 0x01, 0xcc]);
        let fixed = normalize(&msg).unwrap();
        assert_eq!(
            fixed,
            [0xc1, 13, 3, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 6, 0x32, 0xd2, 4, 0x01, 0xaa, 0xbb, 0xcc]
        );
        assert_eq!(normalize(&fixed), None, "already canonical");
    }

    #[test]
    fn lengths_round_trip() {
        for len in [0, 191, 192, 8383, 8384, 100_000] {
            let mut out = Vec::new();
            write_header(&mut out, PKESK, len);
            out.resize(out.len() + len, 7);
            let p = packet(&out).unwrap();
            assert_eq!((p.tag, p.body.len(), p.consumed), (PKESK, len, out.len()));
        }
        let mut old = vec![0x85, 0x01, 0x0c];
        old.resize(3 + 268, 0);
        assert_eq!(packet(&old).unwrap().body.len(), 268);
        assert!(packet(&[0x00]).is_none());
        assert_eq!(normalize(b"garbage"), None);
    }
}
