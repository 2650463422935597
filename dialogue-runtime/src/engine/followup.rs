//! What an operation leaves to do once its requester has the answer: the
//! observing hooks and the listeners.

use std::future::Future;

use futures_util::future::BoxFuture;

/// The after-phase of an operation (`on_joined`, `after_each`, listeners,
/// ...), to run once the requester has its answer.
///
/// It cannot be lost: dropping it without [`run`](Self::run) runs it in the
/// background (and says so in the log), so a caller that forgets it delays
/// the hooks but never skips them.
#[must_use = "run it with `.run().await` once the requester has its answer: it calls the hooks and listeners"]
pub(crate) struct Followup {
    work: Option<BoxFuture<'static, ()>>,
}

impl Followup {
    /// Nothing to do.
    pub(crate) fn none() -> Self {
        Self { work: None }
    }

    /// `work`, to run later.
    pub(crate) fn of(work: impl Future<Output = ()> + Send + 'static) -> Self {
        Self {
            work: Some(Box::pin(work)),
        }
    }

    /// Runs it. Awaited in place: a caller that gives up half way (a
    /// timeout around it) drops it unfinished, and the rest runs in the
    /// background.
    pub(crate) async fn run(mut self) {
        if let Some(work) = self.work.as_mut() {
            work.await;
            self.work = None;
        }
    }
}

impl Drop for Followup {
    fn drop(&mut self) {
        if let Some(work) = self.work.take() {
            tracing::debug!("a follow-up was dropped before it ran; running it in the background");
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(work);
                }
                Err(_) => {
                    tracing::error!(
                        "a follow-up was dropped outside a runtime; its hooks did not run"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_dropped_followup_still_runs() {
        let ran = Arc::new(AtomicUsize::new(0));
        let count = ran.clone();
        Followup::of(async move {
            count.fetch_add(1, Ordering::SeqCst);
        })
        .run()
        .await;
        assert_eq!(ran.load(Ordering::SeqCst), 1);

        let (done, wait) = tokio::sync::oneshot::channel();
        drop(Followup::of(async move {
            let _ = done.send(());
        }));
        tokio::time::timeout(std::time::Duration::from_secs(5), wait)
            .await
            .expect("the dropped follow-up ran")
            .unwrap();
    }

    #[tokio::test]
    async fn a_followup_given_up_half_way_finishes_in_the_background() {
        let (halfway, reached) = tokio::sync::oneshot::channel();
        let (done, finished) = tokio::sync::oneshot::channel();
        let gate = Arc::new(tokio::sync::Notify::new());
        let open = gate.clone();
        let followup = Followup::of(async move {
            let _ = halfway.send(());
            open.notified().await;
            let _ = done.send(());
        });
        let running = tokio::spawn(followup.run());
        reached.await.unwrap();
        running.abort();
        let _ = running.await;
        gate.notify_one();
        tokio::time::timeout(std::time::Duration::from_secs(5), finished)
            .await
            .expect("the rest ran")
            .unwrap();
    }
}
