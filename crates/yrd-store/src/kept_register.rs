//! The register of jurisdictions, kept between requests: nearly every page and API response
//! names members, so the register was read from the database on nearly every request,
//! although it changes only with an import.
//!
//! A kept register is used only while both hold:
//!
//! * the journal's head known to this process is the one it was read under: every change made
//!   through this process moves the head at commit, so a change (an import of a new register)
//!   is seen by the very next read;
//! * it was read less than [`RECHECK`] ago, so a change made by another process on the same
//!   database is seen within that, as for kept accounts and visitors' responses.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use yrd_domain::Jurisdiction;

use crate::account_cache::RECHECK;

struct Kept {
    head: i64,
    read_at: Instant,
    register: Arc<Vec<Jurisdiction>>,
}

#[derive(Default)]
pub(crate) struct KeptRegister {
    kept: Mutex<Option<Kept>>,
}

impl std::fmt::Debug for KeptRegister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptRegister").finish_non_exhaustive()
    }
}

impl KeptRegister {
    /// The kept register, if it was read under `head` less than [`RECHECK`] before `now`.
    pub(crate) fn get(&self, head: i64, now: Instant) -> Option<Arc<Vec<Jurisdiction>>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.as_ref()
            .filter(|k| k.head == head && now.saturating_duration_since(k.read_at) < RECHECK)
            .map(|k| k.register.clone())
    }

    /// Keeps `register`, read at `read_at` after the known head was `head`.
    pub(crate) fn keep(&self, head: i64, read_at: Instant, register: Arc<Vec<Jurisdiction>>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        *kept = Some(Kept {
            head,
            read_at,
            register,
        });
    }

    /// Forgets the kept register: after a change that did not move the head.
    pub(crate) fn forget(&self) {
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_kept_register_is_used_under_its_head_within_the_recheck() {
        let register = KeptRegister::default();
        let read_at = Instant::now();
        assert!(register.get(5, read_at).is_none(), "nothing kept yet");
        register.keep(5, read_at, Arc::new(Vec::new()));
        assert!(register.get(5, read_at + RECHECK / 2).is_some());
        assert!(register.get(6, read_at).is_none(), "the head has moved");
        assert!(
            register.get(5, read_at + RECHECK).is_none(),
            "past the recheck"
        );
        assert!(
            register
                .get(5, read_at + RECHECK - Duration::from_millis(1))
                .is_some()
        );
        register.forget();
        assert!(register.get(5, read_at).is_none(), "forgotten");
    }
}
