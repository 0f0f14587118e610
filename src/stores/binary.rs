//! The binary store (spec §8.5): any file SOPS does not recognise. Plain input is opaque bytes in
//! a single `data` leaf; the encrypted form is a JSON envelope, so loading has to tell the two
//! apart by content: a JSON object carrying a `sops` member is an envelope, anything else (NUL
//! bytes, invalid UTF-8, a JSON file without metadata) is data.

use super::json::{emit_json, load_json, parse_document};
use crate::core::{Document, Format, Loaded, Map, Store, StoreError, Value};

/// Reads and writes arbitrary files.
pub struct BinaryStore {
    indent: Option<usize>,
}

impl BinaryStore {
    /// `indent` applies to the JSON envelope of encrypted files (`None` = one TAB).
    pub fn new(indent: Option<usize>) -> Self {
        BinaryStore { indent }
    }
}

impl Store for BinaryStore {
    fn format(&self) -> Format {
        Format::Binary
    }

    fn load(&self, input: &[u8]) -> Result<Loaded, StoreError> {
        if matches!(parse_document(input), Ok(doc) if doc.contains_key("sops")) {
            return load_json(input);
        }
        let data = match std::str::from_utf8(input) {
            Ok(s) => Value::Str(s.to_string()),
            Err(_) => Value::Bytes(input.to_vec()),
        };
        let mut doc = Map::new();
        doc.push("data", data);
        Ok(Loaded {
            docs: vec![doc],
            metadata: None,
        })
    }

    fn emit(&self, docs: &[Document], metadata: Option<&Map>) -> Result<Vec<u8>, StoreError> {
        if metadata.is_some() {
            return emit_json(docs, metadata, self.indent);
        }
        match docs.first().and_then(|d| d.get("data")) {
            Some(Value::Str(s)) => Ok(s.as_bytes().to_vec()),
            Some(Value::Bytes(b)) => Ok(b.clone()),
            Some(_) => Err(StoreError::new(
                "the binary data is not a string; use --output-type to print it in another format",
            )),
            None => Err(StoreError::new(
                "no binary data found in tree; use --output-type to print it in another format",
            )),
        }
    }

    fn emit_value(&self, _value: &Value) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::new(
            "extracting values is not supported for binary files",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    macro_rules! fixture {
        ($p:literal) => {
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/compat/", $p)).as_slice()
        };
    }

    fn store() -> BinaryStore {
        BinaryStore::new(None)
    }

    #[test]
    fn plain_bytes_round_trip_exactly() {
        for f in [
            fixture!("synthetic/basic.plain.bin"),
            fixture!("synthetic/basic.bin.enc.decrypted"),
            fixture!("upstream/example.txt.decrypted"),
        ] {
            let loaded = store().load(f).unwrap();
            assert_eq!(loaded.metadata, None);
            assert_eq!(loaded.docs.len(), 1);
            assert_eq!(store().emit(&loaded.docs, None).unwrap(), f);
        }
    }

    #[test]
    fn invalid_utf8_is_kept_as_bytes() {
        let f = fixture!("synthetic/basic.plain.bin");
        let loaded = store().load(f).unwrap();
        assert_eq!(loaded.docs[0].get("data"), Some(&Value::Bytes(f.to_vec())));
        let text = store().load(b"no newline").unwrap();
        assert_eq!(text.docs[0].get("data"), Some(&Value::from("no newline")));
    }

    #[test]
    fn encrypted_envelope_round_trips() {
        {
            let f = fixture!("synthetic/basic.bin.enc");
            let loaded = store().load(f).unwrap();
            let md = loaded.metadata.as_ref().unwrap().as_map().unwrap();
            assert!(matches!(md.get("age"), Some(Value::Seq(_))));
            let data = loaded.docs[0].get("data").unwrap().as_str().unwrap();
            assert!(data.starts_with("ENC[AES256_GCM,"));
            assert_eq!(store().emit(&loaded.docs, Some(md)).unwrap(), f);
        }
        let old = store().load(fixture!("upstream/example.txt")).unwrap();
        assert!(old.metadata.is_some());
        assert!(old.docs[0].get("sops").is_none());
    }

    #[test]
    fn envelope_uses_the_configured_indent() {
        let mut doc = Map::new();
        doc.push("data", "ENC[x]");
        let md: Map = [("version", "3.13.2")].into_iter().collect();
        let out = BinaryStore::new(Some(2)).emit(&[doc], Some(&md)).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "{\n  \"data\": \"ENC[x]\",\n  \"sops\": {\n    \"version\": \"3.13.2\"\n  }\n}\n"
        );
    }

    #[test]
    fn json_without_metadata_is_plain_data() {
        let input = b"{\"a\": 1}\n";
        let loaded = store().load(input).unwrap();
        assert_eq!(loaded.metadata, None);
        assert_eq!(store().emit(&loaded.docs, None).unwrap(), input);
    }

    #[test]
    fn missing_or_non_string_data_is_an_error() {
        let e = store().emit(&[Map::new()], None).unwrap_err();
        assert!(e.message.contains("--output-type"), "{e}");
        let mut doc = Map::new();
        doc.push("data", Value::Int(1));
        let e = store().emit(&[doc], None).unwrap_err();
        assert!(e.message.contains("--output-type"), "{e}");
        assert!(store().emit(&[], None).is_err());
        assert!(store().emit_value(&Value::from("x")).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_round_trip(data in prop::collection::vec(any::<u8>(), 0..512)) {
            let loaded = store().load(&data).unwrap();
            prop_assert_eq!(store().emit(&loaded.docs, None).unwrap(), data);
        }
    }
}
