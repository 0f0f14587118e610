//! The engine in the middle: an ordered tree, the value codec, the walker that encrypts,
//! decrypts and MACs it, and the `sops` metadata. Knows nothing about file syntax (see
//! [`store::Store`]) or about how keys are wrapped (see [`keys::MasterKey`]).

pub mod codec;
pub mod datakey;
pub mod error;
pub mod keys;
pub mod metadata;
pub mod ops;
pub mod path;
pub mod rules;
pub mod scalar;
pub mod shamir;
pub mod store;
pub mod tree;
pub mod walk;

pub use datakey::DataKey;
pub use error::{Error, KeyError, Result, StoreError};
pub use keys::MasterKey;
pub use metadata::Metadata;
pub use rules::Selection;
pub use scalar::Timestamp;
pub use store::{Format, Loaded, Store};
pub use tree::{Comment, Document, Item, Map, Value};
