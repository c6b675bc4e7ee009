//! The pipelined export writer: a buffered writer whose chunks another thread writes, syncs
//! as it goes and lets the page cache forget.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::sink::write_error;
use crate::{Error, Result};

/// Bytes per chunk handed to the writing thread.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks that may wait for the writing thread; room for the scan to go on during a sync.
const CHUNKS_QUEUED: usize = 16;
/// Bytes written between syncs of the part written so far.
const SYNC_EVERY: usize = 32 << 20;

/// Runs `produce` with a buffered writer whose chunks another thread writes to `file`, so
/// the scan and formatting on this thread overlap the write system calls. That thread also
/// syncs what it has written every [`SYNC_EVERY`] bytes, so the disk works during the scan
/// instead of in one long final sync, and then lets the page cache forget it
/// ([`drop_cached`]). Chunks are written in order: the bytes are those of a `BufWriter`.
/// A failure to write is reported before whatever it made `produce` fail with.
pub(super) fn write_pipelined<T>(
    file: &File,
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = crossbeam_channel::bounded::<Vec<u8>>(CHUNKS_QUEUED);
        let (empty_tx, empty_rx) = crossbeam_channel::bounded::<Vec<u8>>(CHUNKS_QUEUED + 2);
        let writer = s.spawn(move || -> Result<()> {
            let mut file = file;
            let (mut unsynced, mut written, mut synced) = (0, 0, 0);
            for mut chunk in full_rx {
                file.write_all(&chunk)
                    .map_err(|e| Error::io("cannot write", path, e))?;
                unsynced += chunk.len();
                written += chunk.len() as u64;
                if unsynced >= SYNC_EVERY {
                    file.sync_data().map_err(|e| Error::io("cannot sync", path, e))?;
                    drop_cached(file, synced, written);
                    synced = written;
                    unsynced = 0;
                }
                chunk.clear();
                // Recycling the buffer is optional: when the queue is full or the producer
                // has gone, the chunk is simply freed.
                let _ = empty_tx.try_send(chunk);
            }
            Ok(())
        });
        let mut w = ChunkWriter {
            buf: Vec::with_capacity(CHUNK_BYTES),
            full: full_tx,
            empty: empty_rx,
        };
        let produced = produce(&mut w).and_then(|v| {
            w.flush().map_err(write_error)?;
            Ok(v)
        });
        drop(w);
        writer.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        produced
    })
}

/// Drops the cached pages of `file` between `from` and `to`, which are on disk. An export is
/// written once and not read back: caching it all would crowd out the project's own pages,
/// and taking hundreds of megabytes of fresh page cache costs more system time than the
/// writing itself on virtual machines that return freed memory to their host. Recycling a
/// few megabytes keeps the footprint small. Advice only: a failure changes nothing.
#[cfg(target_os = "linux")]
fn drop_cached(file: &File, from: u64, to: u64) {
    // Advice only (see above): the data is already on disk, so a refusal is harmless.
    let _ = rustix::fs::fadvise(
        file,
        from,
        std::num::NonZeroU64::new(to - from),
        rustix::fs::Advice::DontNeed,
    );
}

#[cfg(not(target_os = "linux"))]
fn drop_cached(_file: &File, _from: u64, _to: u64) {}

/// The producing half of [`write_pipelined`].
struct ChunkWriter {
    buf: Vec<u8>,
    full: crossbeam_channel::Sender<Vec<u8>>,
    empty: crossbeam_channel::Receiver<Vec<u8>>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK_BYTES));
        let chunk = std::mem::replace(&mut self.buf, next);
        self.full
            .send(chunk)
            .map_err(|_| io::Error::other("the writing thread stopped"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > CHUNK_BYTES {
            self.send()?;
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(data).map(drop)
    }

    /// Hands what is buffered to the writing thread (which has not necessarily written it).
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
