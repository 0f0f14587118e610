//! Stub: replaced by the store implementation.
use crate::core::{Document, Format, Loaded, Map, Store, StoreError, Value};

pub struct JsonStore;

impl JsonStore {
    pub fn new(_indent: Option<usize>) -> Self {
        JsonStore
    }
}

impl Store for JsonStore {
    fn format(&self) -> Format {
        unimplemented!()
    }
    fn load(&self, _input: &[u8]) -> Result<Loaded, StoreError> {
        unimplemented!()
    }
    fn emit(&self, _docs: &[Document], _metadata: Option<&Map>) -> Result<Vec<u8>, StoreError> {
        unimplemented!()
    }
    fn emit_value(&self, _value: &Value) -> Result<Vec<u8>, StoreError> {
        unimplemented!()
    }
}
