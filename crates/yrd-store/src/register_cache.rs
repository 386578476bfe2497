//! The register of jurisdictions as last read, kept between requests: nearly every page and
//! list names jurisdictions, so each read it from the database, while the register changes
//! only when a dataset is imported.
//!
//! The kept register is used only while both hold:
//!
//! * no change that may touch every record has committed through this process since it was
//!   read ([`crate::freshness`]): imports, the only writes of jurisdictions, are never confined
//!   to records, so an import made here applies to the very next read;
//! * it was read less than [`RECHECK`] ago, so an import by another process on the same
//!   database (the command line while the server runs) applies within that, as it does for
//!   kept accounts and visitors' responses.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use yrd_domain::Jurisdiction;

/// How long a kept register is used before it is read again, for imports made by another
/// process; the same bound as for kept accounts.
pub const RECHECK: Duration = crate::account_cache::RECHECK;

struct Kept {
    register: Arc<[Jurisdiction]>,
    /// The journal head known before the register was read.
    head: i64,
    read_at: Instant,
}

#[derive(Default)]
pub(crate) struct RegisterCache {
    kept: Mutex<Option<Kept>>,
}

impl std::fmt::Debug for RegisterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterCache").finish_non_exhaustive()
    }
}

impl RegisterCache {
    fn kept(&self) -> std::sync::MutexGuard<'_, Option<Kept>> {
        // One value, replaced whole: a panic elsewhere leaves it usable.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept register, if it was read less than [`RECHECK`] ago and `unchanged_since` says
    /// nothing that may touch it has committed since the head it was read under.
    pub(crate) fn get(
        &self,
        unchanged_since: impl FnOnce(i64) -> bool,
    ) -> Option<Arc<[Jurisdiction]>> {
        let kept = self.kept();
        let entry = kept.as_ref()?;
        (entry.read_at.elapsed() < RECHECK && unchanged_since(entry.head))
            .then(|| entry.register.clone())
    }

    /// Keeps `register`, read from the database at `read_at` with `head` the journal head known
    /// before the read began (so that a change committed during the read counts as later).
    pub(crate) fn keep(&self, register: Arc<[Jurisdiction]>, head: i64, read_at: Instant) {
        let mut kept = self.kept();
        // A slower read begun earlier must not replace a newer one.
        if kept.as_ref().is_some_and(|k| k.read_at > read_at) {
            return;
        }
        *kept = Some(Kept {
            register,
            head,
            read_at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrd_domain::Text;

    fn register(name: &str) -> Arc<[Jurisdiction]> {
        Arc::from(vec![Jurisdiction {
            code: "310000".parse().unwrap(),
            parent: None,
            name: Text::new(name, name),
            centroid: None,
            source: String::new(),
        }])
    }

    fn name(register: &Arc<[Jurisdiction]>) -> String {
        register[0].name.zh.clone()
    }

    #[test]
    fn the_register_is_used_until_a_broad_change_or_the_recheck() {
        let cache = RegisterCache::default();
        assert!(cache.get(|_| true).is_none(), "nothing kept yet");

        let now = Instant::now();
        cache.keep(register("kept"), 7, now);
        assert_eq!(
            cache.get(|head| head >= 7).map(|r| name(&r)),
            Some("kept".into())
        );
        // A change that may touch every record committed after head 7.
        assert!(cache.get(|head| head >= 8).is_none(), "changed since");

        // A read begun before the one kept does not replace it.
        cache.keep(register("older"), 6, now - Duration::from_millis(10));
        assert_eq!(cache.get(|_| true).map(|r| name(&r)), Some("kept".into()));

        // Read a recheck ago: another process may have imported since.
        cache.keep(register("stale"), 9, now + Duration::from_millis(1));
        assert!(cache.get(|_| true).is_some());
        let aged = cache.kept().take().map(|k| Kept {
            read_at: Instant::now() - RECHECK,
            ..k
        });
        *cache.kept() = aged;
        assert!(cache.get(|_| true).is_none(), "read a recheck ago");
    }
}
