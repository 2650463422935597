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

    /// Runs it.
    pub(crate) async fn run(mut self) {
        if let Some(work) = self.work.take() {
            work.await;
        }
    }
}

impl Drop for Followup {
    fn drop(&mut self) {
        if let Some(work) = self.work.take() {
            tracing::debug!("a follow-up was dropped before it ran; running it in the background");
            tokio::spawn(work);
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
}
