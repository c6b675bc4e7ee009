//! Hashes as the remote layout writes them: SHA-256 of bytes and files in lowercase hex,
//! and the parsers for hex hashes read back from remote objects.

use std::io::Read as _;
use std::path::Path;

use sha2::{Digest as _, Sha256};
use sift_core::hex;

/// SHA-256 of bytes, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes))
}

/// SHA-256 of a file, as hex (read in 1 MiB blocks).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_file_with(path, &mut vec![0u8; 1 << 20])
}

/// SHA-256 (hex) of a file, reading through `buf` (reused from file to file).
pub(super) fn sha256_file_with(path: &Path, buf: &mut [u8]) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    loop {
        let n = match file.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(&hasher.finalize()))
}

/// The 16 bytes of an item's content hash written in hex.
pub(super) fn parse_hash(s: &str) -> Option<[u8; 16]> {
    hex::decode_array(s).ok()
}

/// The 32 bytes of a SHA-256 written in hex.
pub fn parse_sha(s: &str) -> Option<[u8; 32]> {
    hex::decode_array(s).ok()
}
