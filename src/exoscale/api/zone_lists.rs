//! Zone-wide lists for refreshing many pools: `GET /instance-pool` and
//! `GET /instance?manager-type=instance-pool` give every pool of a zone and every pool member
//! in two calls ([`Listing`]), where reading pools one by one costs two calls per pool.
//!
//! [`ZoneLists`] serves each zone's latest listing for [`LISTING_TTL`] and takes one at a
//! time (single flight: whoever asks while one is in flight shares it, a failure included,
//! however long it took), and
//! it keeps the ledger a reader needs to decide when a listing may stand for a read: which
//! pools were read already, and when this process last changed each pool. It is handed the
//! fetch: it knows no client.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::wire::{Instance, InstancePool};
use crate::http::ApiError;

/// How long a listing may serve reads after it was requested; a read after that takes a new
/// one. Long enough for one refresh of a few thousand pools. Terraform configures the
/// provider anew for each command, with a new client and so new lists: the TTL bounds a
/// long refresh, not a long-lived process. A failed listing is remembered as long, so that
/// the reads it leaves to their own calls do not each try again.
pub const LISTING_TTL: Duration = Duration::from_secs(30);

/// A zone's pools and pool members, as listed together.
#[derive(Debug)]
pub struct Listing {
    /// When it was requested, on [`ZoneLists`]'s clock.
    taken: u64,
    pools: HashMap<String, InstancePool>,
    /// Members by the id of the pool that manages them.
    members: HashMap<String, Vec<Instance>>,
}

impl Listing {
    fn new(taken: u64, pools: Vec<InstancePool>, members: Vec<Instance>) -> Listing {
        let pools = pools
            .into_iter()
            .filter_map(|p| Some((p.id.clone()?, p)))
            .collect();
        let mut by_pool: HashMap<String, Vec<Instance>> = HashMap::new();
        for member in members {
            if let Some(pool) = member.manager.as_ref().and_then(|m| m.id.clone()) {
                by_pool.entry(pool).or_default().push(member);
            }
        }
        Listing {
            taken,
            pools,
            members: by_pool,
        }
    }

    /// The pool as listed; None when the list does not hold it (gone, or too new for it).
    pub fn pool(&self, id: &str) -> Option<&InstancePool> {
        self.pools.get(id)
    }

    /// `pool`'s members as listed, when they are exactly the instances `pool` names (the
    /// lists and `pool` may have been read at different moments); None otherwise.
    pub fn members_of(&self, pool: &InstancePool) -> Option<Vec<&Instance>> {
        let named: HashSet<&str> = pool
            .instances
            .iter()
            .flatten()
            .map(|i| i.id.as_str())
            .collect();
        let listed: Vec<&Instance> = pool
            .id
            .as_ref()
            .and_then(|id| self.members.get(id))
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        // The same ids, each once on both sides.
        let listed_ids: HashSet<&str> = listed.iter().map(|m| m.id.as_str()).collect();
        let named_count = pool.instances.as_ref().map_or(0, Vec::len);
        let same = listed_ids == named && listed.len() == named.len() && named.len() == named_count;
        same.then_some(listed)
    }
}

/// What [`ZoneLists::note_read`] knew before this read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noted {
    /// How many other pools of the zone were read before.
    pub earlier: usize,
    /// Whether this pool was read before.
    pub again: bool,
}

/// Each zone's latest listing, and the ledger of reads and changes (see the module).
#[derive(Default)]
pub struct ZoneLists {
    /// Orders listings and changes: a listing requested before a change ends is older than it.
    clock: AtomicU64,
    zones: Mutex<HashMap<String, Arc<Zone>>>,
}

#[derive(Default)]
struct Zone {
    ledger: Mutex<Ledger>,
    held: tokio::sync::Mutex<Held>,
    /// How many fetches have ended: a caller that saw it change while it waited for `held`
    /// takes the outcome of the fetch it waited behind, however old.
    fetched: AtomicU64,
}

#[derive(Default)]
struct Ledger {
    read: HashSet<String>,
    /// Each pool's changes by this process: how many are under way, and when the last one
    /// began or ended, on the clock.
    changed: HashMap<String, (usize, u64)>,
}

#[derive(Default)]
struct Held {
    listing: Option<(Arc<Listing>, Instant)>,
    failed: Option<(ApiError, Instant)>,
}

impl ZoneLists {
    /// Notes that pool `id` of `zone` is being read, and says what was read before.
    pub fn note_read(&self, zone: &str, id: &str) -> Noted {
        let zone = self.zone(zone);
        let mut ledger = lock(&zone.ledger);
        let again = !ledger.read.insert(id.to_string());
        Noted {
            earlier: ledger.read.len() - 1,
            again,
        }
    }

    /// Marks pool `id` as changing until the guard drops: no listing requested before the
    /// drop serves it (see [`ZoneLists::serves`]).
    pub fn changing(&self, zone: &str, id: &str) -> Changing<'_> {
        let zone = self.zone(zone);
        {
            let mut ledger = lock(&zone.ledger);
            let entry = ledger.changed.entry(id.to_string()).or_default();
            *entry = (entry.0 + 1, self.tick());
        }
        Changing {
            lists: self,
            zone,
            id: id.to_string(),
        }
    }

    /// Whether `listing` may stand for pool `id`: no change of the pool by this process is
    /// under way, and the last one had ended before the listing was requested.
    pub fn serves(&self, zone: &str, listing: &Listing, id: &str) -> bool {
        let zone = self.zone(zone);
        let ledger = lock(&zone.ledger);
        match ledger.changed.get(id) {
            None => true,
            Some(&(under_way, last)) => under_way == 0 && listing.taken > last,
        }
    }

    /// `zone`'s listing: the one held if it is fresh, else the one in flight, else one
    /// taken now by `fetch`. After a failure, the failure, until it is [`LISTING_TTL`] old.
    pub async fn listing<F, Fut>(&self, zone: &str, fetch: F) -> Result<Arc<Listing>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Vec<InstancePool>, Vec<Instance>), ApiError>>,
    {
        let zone = self.zone(zone);
        let before = zone.fetched.load(Ordering::Acquire);
        let mut held = zone.held.lock().await;
        if zone.fetched.load(Ordering::Acquire) != before {
            // Queued behind a fetch: its outcome is this caller's too, even when the fetch
            // took longer than the TTL (else each caller behind a slow API would list again).
            match (&held.listing, &held.failed) {
                (Some((listing, _)), _) => return Ok(listing.clone()),
                (None, Some((e, _))) => return Err(e.clone()),
                (None, None) => {}
            }
        }
        if let Some(listing) = fresh(&held) {
            return Ok(listing);
        }
        if let Some((e, at)) = &held.failed {
            if at.elapsed() < LISTING_TTL {
                return Err(e.clone());
            }
        }
        let (taken, requested) = (self.tick(), Instant::now());
        let outcome = match fetch().await {
            Ok((pools, members)) => {
                let listing = Arc::new(Listing::new(taken, pools, members));
                *held = Held {
                    listing: Some((listing.clone(), requested)),
                    failed: None,
                };
                Ok(listing)
            }
            Err(e) => {
                *held = Held {
                    listing: None,
                    failed: Some((e.clone(), Instant::now())),
                };
                Err(e)
            }
        };
        zone.fetched.fetch_add(1, Ordering::Release);
        outcome
    }

    /// `zone`'s listing if one is fresh or in flight (waiting for it), without taking one.
    pub async fn latest(&self, zone: &str) -> Option<Arc<Listing>> {
        let zone = self.zone(zone);
        let held = zone.held.lock().await;
        fresh(&held)
    }

    /// Every read asks for its zone a few times: only the first makes the entry.
    fn zone(&self, zone: &str) -> Arc<Zone> {
        let mut zones = lock(&self.zones);
        match zones.get(zone) {
            Some(known) => known.clone(),
            None => zones.entry(zone.to_string()).or_default().clone(),
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A change of one pool under way (see [`ZoneLists::changing`]).
pub struct Changing<'a> {
    lists: &'a ZoneLists,
    zone: Arc<Zone>,
    id: String,
}

impl Drop for Changing<'_> {
    fn drop(&mut self) {
        let ended = self.lists.tick();
        let mut ledger = lock(&self.zone.ledger);
        if let Some(entry) = ledger.changed.get_mut(&self.id) {
            *entry = (entry.0.saturating_sub(1), ended);
        }
    }
}

fn fresh(held: &Held) -> Option<Arc<Listing>> {
    held.listing
        .as_ref()
        .filter(|(_, requested)| requested.elapsed() < LISTING_TTL)
        .map(|(listing, _)| listing.clone())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::exoscale::api::wire::{IdRef, Manager};

    const ZONE: &str = "ch-gva-2";

    fn pool(id: &str, members: &[&str]) -> InstancePool {
        InstancePool {
            id: Some(id.into()),
            instances: Some(members.iter().map(|m| IdRef::new(*m)).collect()),
            ..Default::default()
        }
    }

    fn member(id: &str, name: &str, pool: &str) -> Instance {
        Instance {
            id: id.into(),
            name: Some(name.into()),
            manager: Some(Manager {
                id: Some(pool.into()),
                kind: Some("instance-pool".into()),
            }),
            ..Default::default()
        }
    }

    type Lists = (Vec<InstancePool>, Vec<Instance>);

    /// A fetch that counts its calls and takes `delay`, so that callers pile up behind it.
    async fn fetch(calls: Arc<AtomicUsize>, delay: Duration) -> Result<Lists, ApiError> {
        calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(delay).await;
        Ok((
            vec![pool("p1", &["i1"])],
            vec![member("i1", "pool-1", "p1")],
        ))
    }

    fn setup() -> (Arc<ZoneLists>, Arc<AtomicUsize>) {
        (Arc::default(), Arc::default())
    }

    fn count(calls: &AtomicUsize) -> usize {
        calls.load(Ordering::Relaxed)
    }

    #[test]
    fn listed_members_must_be_exactly_the_pools_instances() {
        let listing = Listing::new(
            1,
            vec![
                pool("p1", &["i1", "i2"]),
                pool("p2", &[]),
                InstancePool::default(),
            ],
            vec![
                member("i2", "b", "p1"),
                member("i1", "a", "p1"),
                member("x", "other", "p9"),
                Instance::default(),
            ],
        );
        // Items without an id are left out.
        assert_eq!(listing.pools.len(), 2);
        let ids = |members: Option<Vec<&Instance>>| {
            members.map(|m| {
                m.iter()
                    .map(|i| i.id.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
        };
        let p1 = listing.pool("p1").unwrap();
        assert_eq!(ids(listing.members_of(p1)).as_deref(), Some("i2,i1"));
        assert_eq!(
            ids(listing.members_of(&pool("p2", &[]))).as_deref(),
            Some("")
        );
        // The pool, read at another moment, names other instances: the lists cannot stand
        // for its members.
        assert_eq!(listing.members_of(&pool("p1", &["i1", "i3"])), None);
        assert_eq!(listing.members_of(&pool("p1", &["i1"])), None);
        assert_eq!(listing.members_of(&pool("p2", &["i4"])), None);
        // One member listed twice does not stand for two.
        let twice = Listing::new(
            1,
            vec![pool("p3", &["a", "b"])],
            vec![member("a", "a", "p3"), member("a", "a", "p3")],
        );
        assert_eq!(twice.members_of(twice.pool("p3").unwrap()), None);
        // Nor does a pool that names one instance twice.
        let named_twice = Listing::new(1, vec![], vec![member("a", "a", "p4")]);
        assert_eq!(named_twice.members_of(&pool("p4", &["a", "a"])), None);
        assert!(listing.pool("gone").is_none());
    }

    #[test]
    fn reads_are_counted_per_zone_and_a_second_read_is_noted() {
        let lists = ZoneLists::default();
        let noted = |zone, id| lists.note_read(zone, id);
        let first = |earlier| Noted {
            earlier,
            again: false,
        };
        assert_eq!(noted(ZONE, "a"), first(0));
        assert_eq!(noted(ZONE, "b"), first(1));
        assert_eq!(noted("de-fra-1", "c"), first(0));
        assert_eq!(
            noted(ZONE, "a"),
            Noted {
                earlier: 1,
                again: true
            }
        );
        assert_eq!(noted(ZONE, "d"), first(2));
    }

    /// Ten callers at once: one fetch, one listing for all; another zone has its own.
    #[tokio::test(start_paused = true)]
    async fn callers_share_the_listing_in_flight() {
        let (lists, calls) = setup();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (lists, calls) = (lists.clone(), calls.clone());
            set.spawn(async move {
                let slow = || fetch(calls, Duration::from_millis(50));
                lists.listing(ZONE, slow).await.unwrap()
            });
        }
        let all = set.join_all().await;
        assert_eq!(count(&calls), 1);
        assert!(all.iter().all(|l| Arc::ptr_eq(l, &all[0])));
        let other = lists
            .listing("de-fra-1", || fetch(calls.clone(), Duration::ZERO))
            .await
            .unwrap();
        assert!(!Arc::ptr_eq(&other, &all[0]));
        assert_eq!(count(&calls), 2);
    }

    /// A fetch slower than the TTL still serves everyone who queued behind it: one fetch.
    #[tokio::test(start_paused = true)]
    async fn callers_behind_a_slow_fetch_share_it_however_long_it_took() {
        let (lists, calls) = setup();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (lists, calls) = (lists.clone(), calls.clone());
            set.spawn(async move {
                let slow = || fetch(calls, LISTING_TTL + Duration::from_secs(5));
                lists.listing(ZONE, slow).await.unwrap()
            });
        }
        let all = set.join_all().await;
        assert_eq!(count(&calls), 1);
        assert!(all.iter().all(|l| Arc::ptr_eq(l, &all[0])));
        // A caller after it, not queued behind it, finds it too old and lists again.
        lists
            .listing(ZONE, || fetch(calls.clone(), Duration::ZERO))
            .await
            .unwrap();
        assert_eq!(count(&calls), 2);
    }

    /// Held for [`LISTING_TTL`] from its request (not its answer), then taken again.
    #[tokio::test(start_paused = true)]
    async fn a_listing_serves_for_its_ttl() {
        let (lists, calls) = setup();
        let slow = Duration::from_secs(2);
        let take = || lists.listing(ZONE, || fetch(calls.clone(), slow));
        take().await.unwrap();
        tokio::time::sleep(LISTING_TTL - slow - Duration::from_millis(1)).await;
        take().await.unwrap();
        assert!(lists.latest(ZONE).await.is_some());
        assert_eq!(count(&calls), 1);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(lists.latest(ZONE).await.is_none(), "too old");
        take().await.unwrap();
        assert_eq!(count(&calls), 2);
    }

    /// `latest` waits for a listing in flight, and never takes one itself.
    #[tokio::test(start_paused = true)]
    async fn latest_waits_for_the_listing_in_flight() {
        let (lists, calls) = setup();
        assert!(lists.latest(ZONE).await.is_none());
        let (taken, seen) = tokio::join!(
            lists.listing(ZONE, || fetch(calls.clone(), Duration::from_millis(100))),
            async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                lists.latest(ZONE).await
            }
        );
        assert!(Arc::ptr_eq(
            &taken.unwrap(),
            &seen.expect("the one in flight")
        ));
        assert_eq!(count(&calls), 1);
    }

    /// A failure is every waiting caller's, and is remembered for the TTL: the reads it
    /// leaves to their own calls do not each try again.
    #[tokio::test(start_paused = true)]
    async fn a_failure_is_shared_and_remembered_for_the_ttl() {
        let (lists, calls) = setup();
        async fn failing(calls: Arc<AtomicUsize>) -> Result<Lists, ApiError> {
            calls.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(ApiError::config("test", "refused"))
        }
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..5 {
            let (lists, calls) = (lists.clone(), calls.clone());
            set.spawn(async move { lists.listing(ZONE, || failing(calls)).await });
        }
        for outcome in set.join_all().await {
            assert_eq!(outcome.unwrap_err().message, "refused");
        }
        tokio::time::sleep(LISTING_TTL - Duration::from_secs(1)).await;
        assert!(lists
            .listing(ZONE, || failing(calls.clone()))
            .await
            .is_err());
        assert_eq!(count(&calls), 1);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let listing = lists.listing(ZONE, || fetch(calls.clone(), Duration::ZERO));
        assert!(listing.await.unwrap().pool("p1").is_some());
        assert_eq!(count(&calls), 2);
    }

    /// No listing requested before a change of the pool ends stands for that pool; other
    /// pools are not concerned.
    #[tokio::test(start_paused = true)]
    async fn a_change_outdates_the_listings_taken_before_it_ends() {
        let (lists, calls) = setup();
        let take = || lists.listing(ZONE, || fetch(calls.clone(), Duration::ZERO));
        let before = take().await.unwrap();
        assert!(lists.serves(ZONE, &before, "p1"));
        let change = lists.changing(ZONE, "p1");
        assert!(!lists.serves(ZONE, &before, "p1"));
        assert!(lists.serves(ZONE, &before, "p2"));
        // Taken while the change is under way: not for p1 either, then or after.
        tokio::time::sleep(LISTING_TTL).await;
        let during = take().await.unwrap();
        assert!(!lists.serves(ZONE, &during, "p1"));
        drop(change);
        assert!(!lists.serves(ZONE, &during, "p1"));
        assert!(lists.serves(ZONE, &during, "p2"));
        tokio::time::sleep(LISTING_TTL).await;
        let after = take().await.unwrap();
        assert!(lists.serves(ZONE, &after, "p1"));
        // Two changes at once: under way until both end.
        let (one, two) = (lists.changing(ZONE, "p1"), lists.changing(ZONE, "p1"));
        drop(one);
        tokio::time::sleep(LISTING_TTL).await;
        let between = take().await.unwrap();
        assert!(!lists.serves(ZONE, &between, "p1"));
        drop(two);
        assert_eq!(count(&calls), 4);
    }
}
