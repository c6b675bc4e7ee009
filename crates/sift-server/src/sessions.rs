//! Browser sessions: the cookie carries a random session id, never the access token. The
//! server keeps each session in memory with the token it stands for, and ends it on
//! sign-out, after an idle period, after an absolute lifetime, or when the token is revoked.
//!
//! Sessions live in memory on purpose: a session id is a short-lived secret that has no
//! business in the project file (which is copied, synced and backed up), and a restart
//! signing people out is harmless — the UI keeps unsaved work in the browser and asks for the
//! token again.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long sessions last and how many there may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// A session unused for this long ends (default 12 hours: a working day with breaks).
    pub idle: Duration,
    /// A session ends this long after sign-in however busy it is (default 7 days).
    pub absolute: Duration,
    /// At most this many live sessions; signing in beyond it ends the least recently used.
    pub max_sessions: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(12 * 3600),
            absolute: Duration::from_secs(7 * 24 * 3600),
            max_sessions: 10_000,
        }
    }
}

/// Bytes of randomness in a session id (shown as twice as many hex digits).
pub(crate) const ID_BYTES: usize = 32;

#[derive(Debug)]
struct Session {
    token: String,
    created: Instant,
    last_seen: Instant,
}

/// The live sessions, keyed by the BLAKE3 hash of their id (so a lookup's timing says
/// nothing about the ids themselves).
#[derive(Debug)]
pub(crate) struct Sessions {
    limits: SessionLimits,
    live: Mutex<HashMap<[u8; 32], Session>>,
}

/// Why a session id did not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Never issued, signed out, or forgotten by a restart.
    Unknown,
    /// Past its idle or absolute limit.
    Expired,
}

fn key(id: &str) -> [u8; 32] {
    *blake3::hash(id.as_bytes()).as_bytes()
}

impl Sessions {
    pub(crate) fn new(limits: SessionLimits) -> Self {
        Self {
            limits,
            live: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn limits(&self) -> SessionLimits {
        self.limits
    }

    fn expired(&self, s: &Session, now: Instant) -> bool {
        now.saturating_duration_since(s.last_seen) >= self.limits.idle
            || now.saturating_duration_since(s.created) >= self.limits.absolute
    }

    /// Starts a session for `token` (already checked) and returns its new id.
    pub(crate) fn create(&self, token: String) -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; ID_BYTES];
        getrandom::fill(&mut bytes)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|_, s| !self.expired(s, now));
        while live.len() >= self.limits.max_sessions.max(1) {
            let Some(oldest) = live.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| *k) else {
                break;
            };
            live.remove(&oldest);
        }
        live.insert(
            key(&id),
            Session {
                token,
                created: now,
                last_seen: now,
            },
        );
        Ok(id)
    }

    /// The token a live session stands for; marks the session used.
    pub(crate) fn resolve(&self, id: &str) -> Result<String, Ended> {
        let now = Instant::now();
        let k = key(id);
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(s) = live.get_mut(&k) else {
            return Err(Ended::Unknown);
        };
        if now.saturating_duration_since(s.last_seen) >= self.limits.idle
            || now.saturating_duration_since(s.created) >= self.limits.absolute
        {
            live.remove(&k);
            return Err(Ended::Expired);
        }
        s.last_seen = now;
        Ok(s.token.clone())
    }

    /// Ends a session; true when it was live.
    pub(crate) fn end(&self, id: &str) -> bool {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key(id))
            .is_some()
    }

    /// Number of sessions held (live or not yet swept).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.live.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn limits(idle_ms: u64, absolute_ms: u64, max: usize) -> SessionLimits {
        SessionLimits {
            idle: Duration::from_millis(idle_ms),
            absolute: Duration::from_millis(absolute_ms),
            max_sessions: max,
        }
    }

    #[test]
    fn ids_are_random_hex_and_never_the_token() {
        let s = Sessions::new(SessionLimits::default());
        let a = s.create("sift_secret".into()).unwrap();
        let b = s.create("sift_secret".into()).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), ID_BYTES * 2);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(!a.contains("secret"));
        assert_eq!(s.resolve(&a).unwrap(), "sift_secret");
        assert!(s.end(&a));
        assert_eq!(s.resolve(&a), Err(Ended::Unknown));
        assert!(!s.end(&a));
        assert_eq!(s.resolve(&b).unwrap(), "sift_secret", "other sessions live on");
    }

    #[test]
    fn idle_and_absolute_limits_end_sessions() {
        let s = Sessions::new(limits(60, 10_000, 10));
        let id = s.create("t".into()).unwrap();
        std::thread::sleep(Duration::from_millis(90));
        assert_eq!(s.resolve(&id), Err(Ended::Expired));
        assert_eq!(s.resolve(&id), Err(Ended::Unknown), "an expired session is gone");

        let s = Sessions::new(limits(10_000, 120, 10));
        let id = s.create("t".into()).unwrap();
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(25));
            assert!(s.resolve(&id).is_ok(), "use keeps it from idling out");
        }
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(s.resolve(&id), Err(Ended::Expired), "but not past its lifetime");
    }

    #[test]
    fn the_number_of_sessions_is_capped_by_evicting_the_least_recently_used() {
        let s = Sessions::new(limits(10_000, 10_000, 3));
        let ids: Vec<String> = (0..3).map(|i| s.create(format!("t{i}")).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(2));
        s.resolve(&ids[0]).unwrap();
        let newest = s.create("t3".into()).unwrap();
        assert_eq!(s.len(), 3);
        assert!(s.resolve(&ids[0]).is_ok());
        assert_eq!(s.resolve(&ids[1]), Err(Ended::Unknown), "least recently used");
        assert!(s.resolve(&newest).is_ok());
    }
}
