//! Browser sessions, the use case behind `sift serve`'s cookie: signing in with an access
//! token starts a session whose random id goes into the cookie; later requests name the
//! session, and the session names the person.
//!
//! Sessions are kept in the project file (table `sessions`), so restarting the server signs
//! no one out — a browser that kept typing while the server was down saves its work, with no
//! action, once the server is back. The file holds only the BLAKE3 hash of each id, the person
//! and two times: neither the id nor the token is ever written, so a copy of the file (synced,
//! backed up) signs no one in. A session ends at sign-out, after [`SessionLimits::idle`]
//! unused or [`SessionLimits::absolute`] after sign-in, when the person's token is reset or
//! removed (the store ends those sessions itself, whichever process changes the token), or
//! when [`SessionLimits::max_sessions`] newer ones push it out.
//!
//! Using a session marks it used at most once a minute (a quarter of the idle limit when
//! that is shorter), so reading does not turn every request into a write.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sift_store::SessionCap;

use crate::{Caller, Error, Project, Result};

/// Bytes of randomness in a session id (written as twice as many lowercase hex digits).
pub const SESSION_ID_BYTES: usize = 32;

/// How often, at most, a session's last use is written.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

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

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    // A clock before 1970 counts as 1970: sessions then look old, never young.
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, ms)
}

fn id_hash(id: &str) -> [u8; 32] {
    *blake3::hash(id.as_bytes()).as_bytes()
}

impl Project {
    /// Signs in with an access token: checks it and starts a session. Returns the person and
    /// the new session id (for the cookie; only its hash is stored).
    pub fn sign_in(&self, token: &str, limits: &SessionLimits) -> Result<(Caller, String)> {
        self.sign_in_at(token, limits, now_ms())
    }

    /// The person behind the first live session among `ids` (a request may carry a few
    /// cookies of that name). Unauthenticated when none is live, saying whether one expired.
    pub fn session_caller(&self, ids: &[String], limits: &SessionLimits) -> Result<Caller> {
        self.session_caller_at(ids, limits, now_ms())
    }

    /// Ends a session (sign-out); true when it was stored.
    pub fn end_session(&self, id: &str) -> Result<bool> {
        Ok(self.store.delete_session(&id_hash(id))?)
    }

    pub(crate) fn sign_in_at(
        &self,
        token: &str,
        limits: &SessionLimits,
        now: i64,
    ) -> Result<(Caller, String)> {
        let person = self.authenticate(token)?;
        let mut bytes = [0u8; SESSION_ID_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::Internal(format!("no randomness for a session id: {e}")))?;
        let id = sift_core::hex::encode(&bytes);
        let cap = SessionCap {
            idle_before_ms: now.saturating_sub(ms(limits.idle)),
            created_before_ms: now.saturating_sub(ms(limits.absolute)),
            max_sessions: limits.max_sessions,
        };
        self.store.insert_session(&id_hash(&id), person.id, now, cap)?;
        let caller = Caller {
            name: person.name,
            role: person.role,
        };
        Ok((caller, id))
    }

    pub(crate) fn session_caller_at(
        &self,
        ids: &[String],
        limits: &SessionLimits,
        now: i64,
    ) -> Result<Caller> {
        let mut expired = false;
        for id in ids {
            let hash = id_hash(id);
            let Some(s) = self.store.session_by_hash(&hash)? else {
                continue;
            };
            let idle = now.saturating_sub(s.last_seen_ms);
            if idle >= ms(limits.idle) || now.saturating_sub(s.created_ms) >= ms(limits.absolute) {
                expired = true;
                // The session is refused either way; a row that cannot be removed now (busy
                // or read-only file) is swept at the next sign-in.
                let _swept_later = self.store.delete_session(&hash);
                continue;
            }
            if idle >= ms(TOUCH_EVERY.min(limits.idle / 4)) {
                // Failing to mark the use (another writer holds the lock past the busy
                // timeout) must not fail the request: the session idles from the older time.
                let _marked_later = self.store.touch_session(&hash, now);
            }
            return Ok(Caller {
                name: s.annotator.name,
                role: s.annotator.role,
            });
        }
        Err(Error::Unauthenticated(
            if expired {
                "your session expired: sign in again"
            } else {
                "your session ended: sign in again"
            }
            .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use sift_error::{Code, ErrorCode};

    use super::*;
    use crate::Role;

    const T0: i64 = 1_800_000_000_000;
    const MINUTE: i64 = 60_000;

    fn project(dir: &Path) -> (Project, String) {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/qa-minimal.toml");
        let project = crate::init_project(dir, &template, Some("demo")).unwrap();
        let (_, token) = project.add_annotator("ann", Role::Annotator).unwrap();
        (project, token)
    }

    fn limits(idle_min: u64, absolute_min: u64, max_sessions: usize) -> SessionLimits {
        SessionLimits {
            idle: Duration::from_secs(idle_min * 60),
            absolute: Duration::from_secs(absolute_min * 60),
            max_sessions,
        }
    }

    fn message(r: Result<Caller>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{e}");
        e.to_string()
    }

    fn last_seen(p: &Project, id: &str) -> i64 {
        p.store
            .session_by_hash(&id_hash(id))
            .unwrap()
            .unwrap()
            .last_seen_ms
    }

    #[test]
    fn a_session_names_its_person_until_it_is_ended() {
        let dir = tempfile::tempdir().unwrap();
        let (p, token) = project(dir.path());
        let l = SessionLimits::default();
        let (who, a) = p.sign_in_at(&token, &l, T0).unwrap();
        assert_eq!((who.name.as_str(), who.role), ("ann", Role::Annotator));
        let (_, b) = p.sign_in_at(&token, &l, T0).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), SESSION_ID_BYTES * 2);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert!(!a.contains(token.trim_start_matches("sift_")));
        assert_eq!(
            p.session_caller_at(std::slice::from_ref(&a), &l, T0)
                .unwrap()
                .name,
            "ann"
        );
        // The first live one of several candidates wins.
        let stranger = "0".repeat(64);
        assert_eq!(
            p.session_caller_at(&[stranger, b.clone()], &l, T0).unwrap().name,
            "ann"
        );

        assert!(p.end_session(&a).unwrap());
        assert!(!p.end_session(&a).unwrap());
        assert!(message(p.session_caller_at(&[a], &l, T0)).contains("ended"));
        assert!(
            p.session_caller_at(&[b], &l, T0).is_ok(),
            "other sessions live on"
        );
        assert_eq!(
            message(p.sign_in_at("sift_wrong", &l, T0).map(|(c, _)| c)),
            "unknown or revoked access token"
        );
    }

    #[test]
    fn idle_and_absolute_limits_end_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let (p, token) = project(dir.path());
        let l = limits(60, 200, 10);
        let (_, id) = p.sign_in_at(&token, &l, T0).unwrap();
        assert!(
            p.session_caller_at(std::slice::from_ref(&id), &l, T0 + 59 * MINUTE)
                .is_ok()
        );
        assert!(
            message(p.session_caller_at(std::slice::from_ref(&id), &l, T0 + 119 * MINUTE))
                .contains("expired")
        );
        assert!(
            message(p.session_caller_at(&[id], &l, T0 + 119 * MINUTE)).contains("ended"),
            "an expired session is removed"
        );

        let (_, id) = p.sign_in_at(&token, &l, T0).unwrap();
        for hour in 1..4 {
            let at = T0 + hour * 59 * MINUTE;
            assert!(
                p.session_caller_at(std::slice::from_ref(&id), &l, at).is_ok(),
                "use keeps it from idling out"
            );
        }
        assert!(
            message(p.session_caller_at(&[id], &l, T0 + 200 * MINUTE)).contains("expired"),
            "but not past its lifetime (23 minutes after its last use)"
        );
    }

    #[test]
    fn use_is_written_at_most_once_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        let (p, token) = project(dir.path());
        let l = SessionLimits::default();
        let (_, id) = p.sign_in_at(&token, &l, T0).unwrap();
        for s in [1, 10, 59] {
            p.session_caller_at(std::slice::from_ref(&id), &l, T0 + s * 1000)
                .unwrap();
            assert_eq!(last_seen(&p, &id), T0, "written after {s} s");
        }
        p.session_caller_at(std::slice::from_ref(&id), &l, T0 + MINUTE)
            .unwrap();
        assert_eq!(last_seen(&p, &id), T0 + MINUTE);
        // A clock that steps back never moves the time back.
        p.session_caller_at(std::slice::from_ref(&id), &l, T0).unwrap();
        assert_eq!(last_seen(&p, &id), T0 + MINUTE);
    }

    #[test]
    fn the_number_of_sessions_is_capped_by_ending_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let (p, token) = project(dir.path());
        let l = limits(600, 6000, 3);
        let ids: Vec<String> = (0..3)
            .map(|i| p.sign_in_at(&token, &l, T0 + i).unwrap().1)
            .collect();
        p.session_caller_at(std::slice::from_ref(&ids[0]), &l, T0 + 5 * MINUTE)
            .unwrap();
        let newest = p.sign_in_at(&token, &l, T0 + 6 * MINUTE).unwrap().1;
        assert_eq!(p.store.session_count().unwrap(), 3);
        let at = T0 + 7 * MINUTE;
        assert!(p.session_caller_at(std::slice::from_ref(&ids[0]), &l, at).is_ok());
        assert!(
            message(p.session_caller_at(std::slice::from_ref(&ids[1]), &l, at)).contains("ended"),
            "least recently used"
        );
        assert!(p.session_caller_at(std::slice::from_ref(&ids[2]), &l, at).is_ok());
        assert!(p.session_caller_at(&[newest], &l, at).is_ok());
    }

    #[test]
    fn a_reset_token_ends_the_persons_sessions_only() {
        let dir = tempfile::tempdir().unwrap();
        let (p, token) = project(dir.path());
        let (_, other) = p.add_annotator("bob", Role::Reviewer).unwrap();
        let l = SessionLimits::default();
        let (_, mine) = p.sign_in_at(&token, &l, T0).unwrap();
        let (_, bobs) = p.sign_in_at(&other, &l, T0).unwrap();
        p.reset_token("ann").unwrap();
        assert!(message(p.session_caller_at(&[mine], &l, T0)).contains("ended"));
        assert_eq!(p.session_caller_at(&[bobs], &l, T0).unwrap().role, Role::Reviewer);
        assert_eq!(p.store.session_count().unwrap(), 1);
    }

    #[test]
    fn sessions_outlive_the_process_that_made_them_and_the_file_holds_no_id_or_token() {
        let dir = tempfile::tempdir().unwrap();
        let (p, token) = project(dir.path());
        let l = SessionLimits::default();
        let (_, id) = p.sign_in_at(&token, &l, T0).unwrap();
        let path = p.store.path().to_owned();
        drop(p);
        let reopened = Project::open(&path).unwrap();
        assert_eq!(
            reopened
                .session_caller_at(std::slice::from_ref(&id), &l, T0 + 1)
                .unwrap()
                .name,
            "ann"
        );
        drop(reopened);
        let mut bytes = std::fs::read(&path).unwrap();
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        if let Ok(more) = std::fs::read(&wal) {
            bytes.extend(more);
        }
        let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(holds(&id_hash(&id)), "the session's hash is stored");
        assert!(!holds(id.as_bytes()), "the session id is in the file");
        assert!(!holds(token.as_bytes()), "the token is in the file");
    }
}
