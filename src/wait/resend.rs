//! A change that is never repeated blindly. After a lost answer the first request may
//! already be acting; after a refusal a gateway may have answered for an API that acted.
//! So the object is looked at before the change is sent again, and only a look that does
//! not show the change sends it again.

use std::future::Future;
use std::sync::Mutex;

use super::deadline::Wait;
use super::pacing::Pacing;
use super::poll::{poll_paced, Poll, WaitError};
use crate::http::ApiError;

/// Sends after which a change whose answers were lost is given up.
const LOST_SENDS: u32 = 2;
/// Conflicts (409) after which a change is given up.
const CONFLICT_SENDS: u32 = 2;

/// What a look at the object shows a change that may have to be sent again.
#[derive(Clone, Debug)]
pub enum Seen<R, D> {
    /// The change shows: nothing more to send.
    Landed(R),
    /// Something else is under way on the object: look again later.
    Busy(String),
    /// The change does not show (as described): send it again.
    Missing(String),
    /// The object is where the change cannot land (gone, being destroyed): give up.
    Ended(D),
}

/// What sending a change achieved.
#[derive(Debug)]
pub enum Sent<T, R> {
    /// The API answered the request.
    Answered(T),
    /// A look after a lost or refused answer showed the change made.
    Landed(R),
}

/// Why a change did not get through.
#[derive(Debug)]
pub enum Unsent<D> {
    /// The API refused it for good, or kept answering 409 Conflict.
    Refused(ApiError),
    /// It was sent twice, no usable answer came either time, and the object does not show
    /// it: `seen` says what the last look showed instead.
    Lost { error: ApiError, seen: String },
    /// A look at the object failed for good.
    Unreadable(ApiError),
    /// A look found the object where the change cannot land.
    Ended(D),
    /// Out of time, or Terraform asked to stop.
    Waited(WaitError<std::convert::Infallible>),
}

/// What the sends so far came to.
#[derive(Default)]
struct Tally {
    look_first: bool,
    lost: u32,
    conflicts: u32,
    last: Option<ApiError>,
}

/// Sends a change (`what`, as in "the change to scale pool p1") with `send`, until the API
/// answers it or a `look` shows it made. After a lost answer, a conflict or a refusal for
/// now (429, 5xx, a connection that never opened), the object is looked at first: busy, the
/// change waits; made, it is done; missing, it is sent again (after lost answers or
/// conflicts, only once more). A refusal for good ends it at once.
pub async fn send_change<T, R, D, S, SF, L, LF>(
    pacing: &Pacing,
    wait: &Wait,
    what: &str,
    send: S,
    look: L,
) -> Result<Sent<T, R>, Unsent<D>>
where
    S: Fn() -> SF,
    SF: Future<Output = Result<T, ApiError>>,
    L: Fn() -> LF,
    LF: Future<Output = Result<Seen<R, D>, ApiError>>,
{
    let tally = Mutex::new(Tally::default());
    // Never held across an await.
    let tally = || tally.lock().unwrap_or_else(|e| e.into_inner());
    let outcome = poll_paced(pacing, wait, what, || async {
        if tally().look_first {
            match look().await {
                Ok(Seen::Landed(r)) => return Ok(Poll::Ready(Sent::Landed(r))),
                Ok(Seen::Busy(seen)) => return Ok(Poll::pending(seen)),
                Ok(Seen::Ended(d)) => return Err(Unsent::Ended(d)),
                Ok(Seen::Missing(seen)) => {
                    let mut tally = tally();
                    if let Some(error) = tally.last.clone() {
                        if tally.lost >= LOST_SENDS {
                            return Err(Unsent::Lost { error, seen });
                        }
                        if tally.conflicts >= CONFLICT_SENDS {
                            return Err(Unsent::Refused(error));
                        }
                    }
                    tally.look_first = false;
                }
                Err(e) => return Poll::retry(e).map_err(Unsent::Unreadable),
            }
        }
        let e = match send().await {
            Ok(answer) => return Ok(Poll::Ready(Sent::Answered(answer))),
            Err(e) => e,
        };
        let mut tally = tally();
        if e.is_outcome_unknown() {
            tally.lost += 1;
        } else if e.is_conflict() {
            tally.conflicts += 1;
        } else if !e.is_transient() {
            return Err(Unsent::Refused(e));
        }
        tally.look_first = true;
        let pending = Poll::failing(
            &e,
            format!("{e} (the change is looked for before it is sent again)"),
        );
        tally.last = Some(e);
        Ok(pending)
    })
    .await;
    outcome.map_err(|e| match e.split() {
        Err(unsent) => unsent,
        Ok(waited) => Unsent::Waited(waited),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::time::Duration;

    use super::*;
    use crate::http::ErrorKind;
    use crate::plugin::Stop;

    fn error(kind: ErrorKind, status: Option<u16>) -> ApiError {
        ApiError {
            kind,
            status,
            sent: true,
            ..ApiError::config("Test API", "refused")
        }
    }

    fn lost() -> ApiError {
        error(ErrorKind::Connection, None)
    }

    /// Answers and looks in turn, counting each; the last of each repeats.
    struct Script {
        sends: Mutex<VecDeque<Result<&'static str, ApiError>>>,
        looks: Mutex<VecDeque<Seen<&'static str, &'static str>>>,
        sent: Mutex<u32>,
        looked: Mutex<u32>,
    }

    impl Script {
        fn new(
            sends: Vec<Result<&'static str, ApiError>>,
            looks: Vec<Seen<&'static str, &'static str>>,
        ) -> Self {
            Script {
                sends: Mutex::new(sends.into()),
                looks: Mutex::new(looks.into()),
                sent: Mutex::new(0),
                looked: Mutex::new(0),
            }
        }

        fn next<T: Clone>(queue: &Mutex<VecDeque<T>>, count: &Mutex<u32>) -> T {
            *count.lock().unwrap() += 1;
            let mut queue = queue.lock().unwrap();
            match queue.len() {
                1 => queue[0].clone(),
                _ => queue.pop_front().unwrap(),
            }
        }

        async fn run(
            &self,
            limit: Duration,
        ) -> (
            Result<Sent<&'static str, &'static str>, Unsent<&'static str>>,
            u32,
            u32,
        ) {
            let wait = Wait::new("update", limit, &Stop::new());
            let send = || async { Self::next(&self.sends, &self.sent) };
            let look = || async { Ok(Self::next(&self.looks, &self.looked)) };
            let outcome = send_change(&Pacing::unbounded(), &wait, "the change", send, look).await;
            let counts = (*self.sent.lock().unwrap(), *self.looked.lock().unwrap());
            (outcome, counts.0, counts.1)
        }
    }

    const LIMIT: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn a_lost_answer_whose_change_shows_is_not_sent_again() {
        let script = Script::new(vec![Err(lost())], vec![Seen::Landed("pool")]);
        let (outcome, sends, looks) = script.run(LIMIT).await;
        assert!(matches!(outcome, Ok(Sent::Landed("pool"))), "{outcome:?}");
        assert_eq!((sends, looks), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_lost_twice_is_given_up_with_what_the_look_saw() {
        let missing = Seen::Missing("the old size".into());
        let script = Script::new(vec![Err(lost())], vec![missing]);
        let (outcome, sends, looks) = script.run(LIMIT).await;
        match outcome {
            Err(Unsent::Lost { error, seen }) => {
                assert_eq!(
                    (error.kind, seen.as_str()),
                    (ErrorKind::Connection, "the old size")
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!((sends, looks), (2, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_for_now_are_looked_at_then_sent_again_until_one_passes() {
        let busy = || Err(error(ErrorKind::Server, Some(503)));
        let script = Script::new(
            vec![busy(), busy(), busy(), Ok("operation")],
            vec![Seen::Missing("not yet".into())],
        );
        let (outcome, sends, looks) = script.run(LIMIT).await;
        assert!(
            matches!(outcome, Ok(Sent::Answered("operation"))),
            "{outcome:?}"
        );
        assert_eq!((sends, looks), (4, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_conflict_is_sent_again_once() {
        let conflict = Err(error(ErrorKind::Client, Some(409)));
        let script = Script::new(vec![conflict], vec![Seen::Missing("not yet".into())]);
        let (outcome, sends, looks) = script.run(LIMIT).await;
        assert!(
            matches!(&outcome, Err(Unsent::Refused(e)) if e.status == Some(409)),
            "{outcome:?}"
        );
        assert_eq!((sends, looks), (2, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_object_is_waited_for_and_a_refusal_for_good_ends_at_once() {
        let script = Script::new(
            vec![
                Err(error(ErrorKind::RateLimited, Some(429))),
                Err(error(ErrorKind::Client, Some(400))),
            ],
            vec![
                Seen::Busy("scaling".into()),
                Seen::Missing("not yet".into()),
            ],
        );
        let (outcome, sends, looks) = script.run(LIMIT).await;
        assert!(
            matches!(&outcome, Err(Unsent::Refused(e)) if e.status == Some(400)),
            "{outcome:?}"
        );
        assert_eq!((sends, looks), (2, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn an_object_where_the_change_cannot_land_ends_it() {
        let script = Script::new(vec![Err(lost())], vec![Seen::Ended("gone")]);
        let (outcome, _, _) = script.run(LIMIT).await;
        assert!(matches!(outcome, Err(Unsent::Ended("gone"))), "{outcome:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_that_lasts_runs_out_of_time() {
        let script = Script::new(
            vec![Err(error(ErrorKind::Server, Some(500)))],
            vec![Seen::Missing("not yet".into())],
        );
        let (outcome, sends, _) = script.run(Duration::from_secs(2)).await;
        match outcome {
            Err(Unsent::Waited(WaitError::TimedOut { last_seen, .. })) => {
                let seen = last_seen.unwrap_or_default();
                assert!(seen.contains("500"), "{seen}");
            }
            other => panic!("{other:?}"),
        }
        assert!(sends > 2, "{sends}");
    }
}
