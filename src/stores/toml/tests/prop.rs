//! Property test: generated documents survive encryption byte for byte.
