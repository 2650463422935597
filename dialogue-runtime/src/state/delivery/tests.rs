use std::time::Duration;

use serde_json::json;

use super::*;

struct Record(Arc<Mutex<Vec<u64>>>);

impl Deliver for Record {
    fn deliver(&self, event: &StampedEvent) {
        self.0.lock().push(event.seq());
    }
}

fn event(seq: u64) -> Arc<StampedEvent> {
    Arc::new(StampedEvent::stamp(seq, "r", "e", &json!(seq), "u", None).unwrap())
}

fn delivery(seen: &Arc<Mutex<Vec<u64>>>) -> Arc<Delivery> {
    Delivery::new(
        Box::new(Record(seen.clone())),
        "e".into(),
        Window::default(),
    )
}

#[tokio::test]
async fn whoever_finds_it_idle_delivers_everything_queued_in_order() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let delivery = delivery(&seen);
    assert_eq!(delivery.push(event(1)), Turn::Drain);
    // Others queue while the first has not delivered yet.
    assert_eq!(delivery.push(event(2)), Turn::Queued);
    assert_eq!(delivery.push(event(3)), Turn::Queued);
    delivery.drain().await;
    assert_eq!(*seen.lock(), [1, 2, 3]);
    delivery.settled(3).await;
    assert_eq!(delivery.position().seq, 3);
    // Idle again: the next publisher delivers its own.
    assert_eq!(delivery.push(event(4)), Turn::Drain);
    delivery.drain().await;
    assert_eq!(*seen.lock(), [1, 2, 3, 4]);
}

#[tokio::test]
async fn operations_run_between_the_events_queued_around_them() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let delivery = delivery(&seen);
    assert_eq!(delivery.push(event(1)), Turn::Drain);
    assert_eq!(delivery.push(event(2)), Turn::Queued);
    let at = Arc::new(Mutex::new(None));
    let record = at.clone();
    let order = {
        let delivery = delivery.clone();
        tokio::spawn(async move {
            delivery
                .run_in_order(Box::new(move |delivery| {
                    Box::pin(async move { *record.lock() = Some(delivery.position().seq) })
                }))
                .await
        })
    };
    tokio::task::yield_now().await;
    assert_eq!(delivery.push(event(3)), Turn::Queued);
    delivery.drain().await;
    order.await.unwrap();
    assert_eq!(*at.lock(), Some(2), "it ran after 2 and before 3");
    assert_eq!(*seen.lock(), [1, 2, 3]);
    let (replay, upto) = delivery
        .recover(&Position {
            epoch: "e".into(),
            seq: 1,
        })
        .unwrap();
    assert_eq!(replay.iter().map(|e| e.seq()).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(upto, 3);
}

#[tokio::test]
async fn a_full_queue_holds_publishers_until_it_is_half_empty() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let delivery = delivery(&seen);
    tokio::time::timeout(Duration::from_secs(1), delivery.room_for_more())
        .await
        .expect("an empty queue has room");
    assert_eq!(delivery.push(event(1)), Turn::Drain);
    for seq in 2..=MAX_PENDING as u64 {
        assert_eq!(delivery.push(event(seq)), Turn::Queued);
    }
    let waiting = {
        let delivery = delivery.clone();
        tokio::spawn(async move { delivery.room_for_more().await })
    };
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished(), "a full queue holds the publisher");
    delivery.drain().await;
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("room again once half is delivered")
        .unwrap();
}

#[tokio::test]
async fn a_long_queue_goes_on_in_a_task_and_stays_in_order() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let delivery = delivery(&seen);
    let total = BATCH as u64 * 3 + 7;
    assert_eq!(delivery.push(event(1)), Turn::Drain);
    for seq in 2..=total {
        assert_eq!(delivery.push(event(seq)), Turn::Queued);
    }
    delivery.drain().await;
    assert_eq!(seen.lock().len(), BATCH, "the caller delivered one batch");
    tokio::time::timeout(Duration::from_secs(5), delivery.settled(total))
        .await
        .expect("the task finishes");
    assert_eq!(*seen.lock(), (1..=total).collect::<Vec<_>>());
    assert_eq!(
        delivery.push(event(total + 1)),
        Turn::Drain,
        "idle at the end"
    );
    delivery.drain().await;
}

struct Panics;

impl Deliver for Panics {
    fn deliver(&self, event: &StampedEvent) {
        assert_ne!(event.seq(), 2, "a bug in delivery");
    }
}

#[tokio::test]
async fn a_panic_while_delivering_does_not_stop_the_room() {
    let delivery = Delivery::new(Box::new(Panics), "e".into(), Window::default());
    for seq in 1..=3 {
        if delivery.push(event(seq)) == Turn::Drain {
            delivery.drain().await;
        }
    }
    tokio::time::timeout(Duration::from_secs(5), delivery.settled(3))
        .await
        .expect("3 delivered after 2 panicked");
}

#[tokio::test]
async fn a_closed_room_delivers_nothing_and_lets_waiters_go() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let delivery = delivery(&seen);
    assert_eq!(delivery.push(event(1)), Turn::Drain);
    delivery.close();
    delivery.drain().await;
    assert!(seen.lock().is_empty());
    tokio::time::timeout(Duration::from_secs(1), delivery.settled(5))
        .await
        .expect("waiters are let go");
}
