//! Creating a pool without ever losing one. The create call is sent once, and once the API
//! has named the new pool every outcome records it. When the answer is lost (the request
//! went out, no usable answer came back) the pool may exist all the same: it is looked for
//! instead of sent again (see [`send_or_find`]).

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::change;
use super::diagnostics::api_error;
use super::model::{self, InstancePoolModel};
use super::read::model_of;
use super::wait;
use crate::exoscale::api::wire::{
    CreateInstancePool, Instance, InstancePool, Operation, PoolState,
};
use crate::exoscale::api::{ExoscaleClient, SERVICE};
use crate::http::{ApiError, ErrorKind};
use crate::intents::{unix_now_ms, Intent, Unmade};
use crate::plugin::{Applied, Diagnostic, Diagnostics, Tri};
use crate::wait::{human, poll_paced, Poll, Wait, WaitError};

/// How far the API's clock may be behind ours when comparing its creation times with the
/// moment the create was sent.
const CLOCK_SKEW: Duration = Duration::from_secs(120);

/// Creates the pool `body` describes and waits for it; `state` is the planned model with
/// its zone and instance type id known. Every outcome after the API made the pool records
/// it (a failure then taints it); a lost answer adopts the pool only when it is certain.
pub async fn create(
    client: &ExoscaleClient,
    zone: &str,
    body: &CreateInstancePool,
    mut state: InstancePoolModel,
    wait_instances: bool,
    wait: &Wait,
) -> Applied<InstancePoolModel> {
    // Kept until this function returns: a process killed before then leaves it behind.
    let key = format!(
        "exoscale {zone} {} {} {}",
        body.name, body.template.id, body.instance_type.id
    );
    let (intent, earlier) = Intent::begin(&key);
    let made = match earlier {
        Some(started) => match left_behind(client, zone, body, started).await {
            Ok(Some(made)) => Ok(made),
            Ok(None) => send_or_find(client, zone, body, wait).await,
            Err(d) => Err(Unmade::unsettled(d)),
        },
        None => send_or_find(client, zone, body, wait).await,
    };
    let (id, op, note) = match made {
        Ok(Made::Answered { op, id }) => (id, Some(op), Diagnostics::new()),
        Ok(Made::Found { id, cause }) => {
            let note = Diagnostic::warning(
                "Adopted the instance pool the create made",
                format!("{cause}. Instance pool {id} in zone {zone} is the only pool named {:?} with this template and instance type that appeared since the request, so it is recorded as this resource.", body.name),
            );
            (id, None, note.into())
        }
        Err(unmade) => return Applied::failed(None, intent.failed(unmade)),
    };
    // From here on the pool exists: every outcome records its id.
    state.id = Tri::Known(id.clone());
    // No listing requested before the create ends stands for the pool.
    let _changing = client.changing(zone, &id);
    let summary = "Creating the instance pool did not complete";
    let waited = async {
        if let Some(op) = op {
            wait::operation_succeeded(client, zone, op, "create", wait, summary).await?;
        }
        // Without an operation (adopted), the pool's state says when the create is done.
        let pool = wait::pool_settled(client, zone, &id, wait, summary).await?;
        // A pool planned smaller than the API creates is scaled down now.
        if state.size < model::MIN_CREATE_SIZE && pool.size != Some(state.size) {
            return change::scale(client, zone, &id, state.size, wait_instances, wait).await;
        }
        if wait_instances {
            return wait::pool_running(client, zone, &id, state.size, wait).await;
        }
        Ok(pool)
    }
    .await;
    let read = match waited {
        Ok(pool) => model_of(client, zone, &pool, &state).await,
        Err(d) => Err(d),
    };
    let mut diagnostics = note;
    match read {
        Ok(model) => Applied {
            state: Some(model),
            diagnostics,
        },
        Err(d) => {
            diagnostics.extend(d);
            Applied::failed(Some(model::settled(state)), diagnostics)
        }
    }
}

/// How the new pool became known.
#[derive(Debug)]
enum Made {
    /// The API answered with the operation that makes pool `id`.
    Answered { op: Operation, id: String },
    /// No usable answer (`cause` says why); pool `id` is the one that appeared since.
    Found { id: String, cause: String },
}

/// A pool that could be the one the create made.
#[derive(Debug, Clone)]
struct Candidate {
    id: String,
    state: String,
    /// Whether it appeared since the request; None: it has no instances to tell by yet.
    appeared: Option<bool>,
}

impl Candidate {
    fn describe(&self) -> String {
        let when = match self.appeared {
            Some(true) => "appeared since the request",
            Some(false) => "existed before the request",
            None => "too new to tell",
        };
        format!("{} ({}, {when})", self.id, self.state)
    }
}

/// Sends the create once, and after a failure that may not be final looks for the pool
/// instead of sending it blindly again.
///
/// Finding the pool: the answer of a create may be lost (connection reset or timed out
/// after the request went out, or a 2xx body that does not decode) although the API made
/// the pool. The candidates are the zone's unmanaged pools whose name, template and
/// instance type are the request's. API v2 gives pools no creation time, but a new pool
/// has at least one instance (a create needs size >= 1) and instances have `created-at`:
/// a candidate appeared since the call when its oldest instance was created at or after
/// the moment the request was sent, less [`CLOCK_SKEW`] for the API's clock. Exactly one
/// such candidate is adopted; two or more fail (the provider cannot tell which is its own)
/// with the list and the import command. After a lost answer the create is never sent
/// again: it may still land, so the pool is looked for during the wait's failure window
/// (two minutes unless the provider says otherwise; within the create timeout): how long a
/// failure may last before it counts as one that will not heal. After a refusal (429, 5xx, the connection never opened) the same
/// look runs first, in case a gateway answered for an API that acted, and only when no
/// candidate appeared is the create sent again, until the timeout.
async fn send_or_find(
    client: &ExoscaleClient,
    zone: &str,
    body: &CreateInstancePool,
    wait: &Wait,
) -> Result<Made, Unmade> {
    let skew = i64::try_from(CLOCK_SKEW.as_millis()).unwrap_or(i64::MAX);
    let since_ms = unix_now_ms().saturating_sub(skew);
    let look_first = Slot::new(false);
    // What went wrong with the last request, as a sentence for the diagnostics.
    let cause = Slot::new(String::new());
    // Set by a lost answer: until when the pool is looked for.
    let look_until: Slot<Option<Instant>> = Slot::new(None);
    let last_seen: Slot<Vec<Candidate>> = Slot::new(Vec::new());
    // Whether a create request may be on its way, its answer not yet in.
    let in_flight = Slot::new(false);
    let what = format!("instance pool {:?} to be created in zone {zone}", body.name);
    let pacing = client.pacing(zone);
    let outcome = poll_paced(&pacing, wait, &what, || {
        let (look_first, cause, look_until, last_seen, in_flight) =
            (&look_first, &cause, &look_until, &last_seen, &in_flight);
        async move {
            if look_first.get() {
                let candidates = match candidates(client, zone, body, since_ms).await {
                    Ok(found) => found,
                    Err(e) => return Poll::retry(e).map_err(|e| looking_error(&e)),
                };
                last_seen.set(candidates.clone());
                let new: Vec<&Candidate> = candidates
                    .iter()
                    .filter(|c| c.appeared == Some(true))
                    .collect();
                let unsure = candidates.iter().any(|c| c.appeared.is_none());
                let cause = cause.get();
                match new.as_slice() {
                    [one] if !unsure => {
                        let id = one.id.clone();
                        return Ok(Poll::Ready(Made::Found { id, cause }));
                    }
                    [_, _, ..] => return Err(ambiguous(zone, body, &cause, &candidates)),
                    _ => {}
                }
                match look_until.get() {
                    Some(until) if Instant::now() >= until => {
                        let when = format!("within {}", human(wait.failure_window));
                        return Err(not_found(zone, body, &cause, &candidates, &when));
                    }
                    // A lost create is never sent again: keep looking.
                    Some(_) => {
                        return Ok(Poll::pending(format!(
                            "no new pool yet, {} matching",
                            candidates.len()
                        )))
                    }
                    None if unsure => return Ok(Poll::pending("a matching pool too new to tell")),
                    None => look_first.set(false),
                }
            }
            in_flight.set(true);
            let sent = client.create_instance_pool(zone, body).await;
            in_flight.set(sent.as_ref().is_err_and(ApiError::is_stopped_in_flight));
            let (kind, text, retry_after, counted) = match sent {
                Ok(op) => match op.reference_id() {
                    Some(id) => {
                        let id = id.to_string();
                        return Ok(Poll::Ready(Made::Answered { op, id }));
                    }
                    // The API took the create without saying which pool it makes: as good
                    // as a lost answer.
                    None => {
                        let text = format!(
                            "the API took it as operation {}, without naming the new pool",
                            op.id
                        );
                        (FollowUp::Lost, text, None, None)
                    }
                },
                Err(e) => match follow_up(&e) {
                    FollowUp::Final => return Err(create_error(&e, zone, body)),
                    kind => (
                        kind,
                        e.to_string(),
                        e.retry_after,
                        crate::wait::Failure::of(&e),
                    ),
                },
            };
            if kind == FollowUp::Lost {
                cause.set(format!(
                    "The answer to the create request was lost ({text})"
                ));
                look_until.set(Some(Instant::now() + wait.failure_window));
            } else {
                cause.set(format!(
                    "The API answered the create request with an error ({text})"
                ));
            }
            look_first.set(true);
            Ok(Poll::Pending {
                seen: format!("{text} (looking for the pool before anything else)"),
                retry_after,
                failure: counted,
            })
        }
    })
    .await;
    let (cause, candidates) = (cause.into_inner(), last_seen.into_inner());
    // A pending look (after a refusal a gateway may have given for an API that acted)
    // leaves the question open too.
    let unsettled = look_until.get().is_some() || in_flight.get() || look_first.get();
    let unmade = |diagnostics| Unmade {
        diagnostics,
        unsettled,
    };
    match outcome {
        Ok(made) => Ok(made),
        Err(WaitError::Failed(d)) => Err(unmade(d)),
        // After a lost answer, running out of time or being stopped leaves the question
        // open: say how to settle it.
        Err(WaitError::TimedOut { .. }) if look_until.get().is_some() => {
            let when = format!("within `timeouts.create` ({})", human(wait.limit));
            Err(unmade(not_found(zone, body, &cause, &candidates, &when)))
        }
        Err(WaitError::Stopped { .. }) if look_until.get().is_some() => {
            let when = "before Terraform asked the provider to stop";
            Err(unmade(not_found(zone, body, &cause, &candidates, when)))
        }
        Err(e @ (WaitError::TimedOut { .. } | WaitError::Persisted { .. })) => {
            let next = e.failing_advice(SERVICE).unwrap_or_else(|| {
                format!(
                    "Otherwise apply again later, or raise `timeouts.create` ({}) to keep trying longer.",
                    human(wait.limit)
                )
            });
            Err(unmade(api_error(
                "Could not create the instance pool",
                format!("{e}. {} {next}", in_flight_hint(zone, body)),
            )))
        }
        Err(e @ WaitError::Stopped { .. }) => Err(unmade(api_error(
            "Could not create the instance pool",
            format!("{e}. {}", in_flight_hint(zone, body)),
        ))),
    }
}

/// The pool an earlier provider process made for `body` before it was killed, if one
/// appeared since that process noted the create at `started_ms` (see [`crate::intents`]).
/// A pool still too new to show its instances counts: the note is the evidence.
async fn left_behind(
    client: &ExoscaleClient,
    zone: &str,
    body: &CreateInstancePool,
    started_ms: i64,
) -> Result<Option<Made>, Diagnostics> {
    let skew = i64::try_from(CLOCK_SKEW.as_millis()).unwrap_or(i64::MAX);
    let found = candidates(client, zone, body, started_ms.saturating_sub(skew))
        .await
        .map_err(|e| looking_error(&e))?;
    let cause =
        "An earlier provider process started this create and stopped before recording its outcome";
    let new: Vec<&Candidate> = found.iter().filter(|c| c.appeared != Some(false)).collect();
    match new.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(Made::Found {
            id: one.id.clone(),
            cause: cause.to_string(),
        })),
        _ => Err(ambiguous(zone, body, cause, &found)),
    }
}

/// The zone's pools that could be the one `body` made, each with whether it appeared since
/// `since_ms` (Unix milliseconds).
async fn candidates(
    client: &ExoscaleClient,
    zone: &str,
    body: &CreateInstancePool,
    since_ms: i64,
) -> Result<Vec<Candidate>, ApiError> {
    let mut found = Vec::new();
    for pool in client.list_instance_pools(zone).await? {
        let Some(id) = pool.id.clone().filter(|_| matches_request(&pool, body)) else {
            continue;
        };
        let members = client.list_pool_instances(zone, &id).await?;
        let oldest = members
            .iter()
            .filter_map(Instance::created_at_unix_ms)
            .min();
        let appeared = match oldest {
            Some(created) => Some(created >= since_ms),
            // A new pool may show its instances only once it has made them.
            None if pool.state == Some(PoolState::Creating) => None,
            None => Some(false),
        };
        found.push(Candidate {
            id,
            state: pool
                .state
                .as_ref()
                .map_or_else(|| "state unknown".into(), ToString::to_string),
            appeared,
        });
    }
    Ok(found)
}

fn matches_request(pool: &InstancePool, body: &CreateInstancePool) -> bool {
    let same_id =
        |held: Option<&str>, sent: &str| held.is_some_and(|h| h.eq_ignore_ascii_case(sent));
    pool.manager.is_none()
        && pool.name.as_deref() == Some(body.name.as_str())
        && same_id(
            pool.template.as_ref().map(|t| t.id.as_str()),
            &body.template.id,
        )
        && same_id(
            pool.instance_type.as_ref().map(|t| t.id.as_str()),
            &body.instance_type.id,
        )
}

fn import_hint(zone: &str) -> String {
    format!("`terraform import ADDRESS <id>@{zone}` (ADDRESS being this resource's address)")
}

fn listed(candidates: &[Candidate]) -> String {
    candidates
        .iter()
        .map(Candidate::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

fn ambiguous(
    zone: &str,
    body: &CreateInstancePool,
    cause: &str,
    candidates: &[Candidate],
) -> Diagnostics {
    Diagnostic::error(
        "Could not tell which instance pool the create made",
        format!(
            "{cause}, and several instance pools named {:?} with this template and instance type appeared in zone {zone} since: {}. None is recorded, as the provider cannot tell which one it made. Import the one to keep with {}, and delete the others.",
            body.name,
            listed(candidates),
            import_hint(zone)
        ),
    )
    .into()
}

fn not_found(
    zone: &str,
    body: &CreateInstancePool,
    cause: &str,
    candidates: &[Candidate],
    when: &str,
) -> Diagnostics {
    let others = if candidates.is_empty() {
        "No pool matches it.".to_string()
    } else {
        format!("Matching pools: {}.", listed(candidates))
    };
    Diagnostic::error(
        "Could not create the instance pool",
        format!(
            "{cause}, and no new instance pool named {:?} with this template and instance type appeared in zone {zone} {when}. {others} The create is not sent again, as it may still land: {}",
            body.name,
            look_next_time(zone)
        ),
    )
    .into()
}

/// What to do about a create that was stopped in flight.
fn in_flight_hint(zone: &str, body: &CreateInstancePool) -> String {
    format!(
        "If the request reached the API, a pool named {:?} exists: {}",
        body.name,
        look_next_time(zone)
    )
}

/// What happens to a pool a create may have made (its note stays open: see [`Unmade`]).
fn look_next_time(zone: &str) -> String {
    format!(
        "the next apply from this working directory looks for it before creating another, and records it if it has appeared (from elsewhere, check the pools in zone {zone} and import the new one with {}).",
        import_hint(zone)
    )
}

fn looking_error(e: &ApiError) -> Diagnostics {
    api_error(
        "Could not look for the instance pool a create made",
        format!("{e}. The create may have made a pool: check the pools in the zone, and import it if so."),
    )
}

/// A create the API refused for good, with what to fix.
fn create_error(e: &ApiError, zone: &str, body: &CreateInstancePool) -> Diagnostics {
    let advice = match (e.kind, e.status) {
        (ErrorKind::Stopped, _) => format!(" {}", in_flight_hint(zone, body)),
        (_, Some(400)) => " The API refused the pool's settings: fix them in the configuration and apply again.".into(),
        (_, Some(404)) => format!(" Something the pool refers to (template, instance type, security group, private network, elastic IP, anti-affinity group, deploy target or SSH key) does not exist in zone {zone}: check its id in the configuration."),
        _ => String::new(),
    };
    api_error(
        "Could not create the instance pool",
        format!("{e}.{advice}"),
    )
}

/// A value the looks of one poll loop share: a `Cell` that is `Sync`, as the resource's
/// futures must be `Send`. Never held across an await.
struct Slot<T>(Mutex<T>);

impl<T: Clone> Slot<T> {
    fn new(value: T) -> Self {
        Slot(Mutex::new(value))
    }

    fn get(&self) -> T {
        self.lock().clone()
    }

    fn set(&self, value: T) {
        *self.lock() = value;
    }

    fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How a failed call that is never repeated blindly may be followed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FollowUp {
    /// Sent, without a usable answer: the API may have acted on it.
    Lost,
    /// Refused for now (429, 5xx, or the connection never opened): asking again may work.
    Transient,
    /// Asking again will not help.
    Final,
}

fn follow_up(e: &ApiError) -> FollowUp {
    if e.is_outcome_unknown() {
        FollowUp::Lost
    } else if e.is_transient() {
        FollowUp::Transient
    } else {
        FollowUp::Final
    }
}
