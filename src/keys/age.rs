//! age recipients and identities (stub, replaced by the age backend work).
