//! Every hook is called, with the right arguments, in the order docs/hooks.md
//! gives ("Order"), and the observing hooks run after the requester has its
//! answer.

use dialogue_client::Transport;
use dialogue_runtime::{EventMessage, HookError, Identity};
use serde_json::{Value, json};

use crate::app::{ControlApp, Message};
use crate::harness::{
    Gate, Log, QUIET, Server, TRANSPORTS, WAIT, ask, ask_ok, builder, join, leave, message, next,
    trigger,
};

/// A server whose every hook writes what it saw to the log.
async fn logging_server(log: &Log) -> Server {
    let l = log.clone();
    let b = builder().authenticate(move |_, handshake| {
        let l = l.clone();
        async move {
            let user = handshake.auth["userId"]
                .as_str()
                .ok_or_else(|| HookError::refuse("who are you?"))?
                .to_owned();
            l.push(format!("authenticate:{user}"));
            Ok(Identity::user(user).with_claims(json!({ "plan": "pro" })))
        }
    });
    let l = log.clone();
    let b = b.on_connect(move |_, info| {
        let l = l.clone();
        async move {
            l.push(format!(
                "on_connect:{}:{}:{}",
                info.user_id,
                info.transport,
                !info.client_id.is_empty()
            ));
        }
    });
    let l = log.clone();
    let b = b.on_connected(move |_, client| {
        let l = l.clone();
        async move {
            l.push(format!(
                "on_connected:{}:{}",
                client.user_id(),
                client
                    .auth()
                    .map_or(Value::Null, |auth| auth["plan"].clone())
            ));
        }
    });
    let l = log.clone();
    let b = b.before_join(move |_, client, room, _| {
        let l = l.clone();
        async move {
            // Before the join: the room does not count the client yet.
            l.push(format!(
                "before_join:{}:{}:{}",
                client.user_id(),
                room.id(),
                room.size()
            ));
            Ok(())
        }
    });
    let l = log.clone();
    let b = b.on_joined(move |dialogue, client, room| {
        let l = l.clone();
        async move {
            let size = dialogue.room_by_id(&room).map_or(0, |r| r.size());
            l.push(format!("on_joined:{}:{room}:{size}", client.user_id()));
        }
    });
    let l = log.clone();
    let b = b.before_each(move |_, message| {
        let l = l.clone();
        async move {
            l.push(format!(
                "before_each:{}:{}:{}",
                message.room_id, message.event, message.data["text"]
            ));
            Ok(message)
        }
    });
    let l = log.clone();
    let b = b.after_each(move |_, message, recipients| {
        let l = l.clone();
        async move {
            l.push(format!(
                "after_each:{}:{}:{recipients}",
                message.from, message.data["text"]
            ));
        }
    });
    let l = log.clone();
    let b = b.on_triggered(move |_, message| {
        let l = l.clone();
        async move {
            l.push(format!("on_triggered:{}", message.data["text"]));
        }
    });
    let l = log.clone();
    let b = b.on_left(move |_, client, room| {
        let l = l.clone();
        async move {
            l.push(format!(
                "on_left:{}:{room}:{}",
                client.user_id(),
                client.rooms().contains(&room)
            ));
        }
    });
    let l = log.clone();
    let b = b.on_disconnected(move |_, client| {
        let l = l.clone();
        async move {
            // Still in its rooms.
            l.push(format!(
                "on_disconnected:{}:{}",
                client.user_id(),
                client.rooms().join(",")
            ));
        }
    });
    let l = log.clone();
    let b = b.on_disconnect(move |dialogue, info| {
        let l = l.clone();
        async move {
            // The client is gone by now.
            l.push(format!(
                "on_disconnect:{}:{}:{}",
                info.user_id,
                info.transport,
                dialogue.get_client(&info.client_id).is_none()
            ));
        }
    });
    let server = Server::start(b).await;
    let l = log.clone();
    // The room's listeners run last, after on_triggered (dropping the handle
    // keeps the listener).
    let _ = server
        .dialogue
        .room(ControlApp::lobby())
        .on(move |message: EventMessage<Message>| {
            let l = l.clone();
            async move { l.push(format!("listener:\"{}\"", message.data.text)) }
        });
    server
}

#[tokio::test]
async fn a_client_life_runs_every_hook_in_the_documented_order() {
    for transport in TRANSPORTS {
        let log = Log::default();
        let server = logging_server(&log).await;
        let name = match transport {
            Transport::WebSocket => "websocket",
            Transport::Polling => "polling",
        };
        let alice = server.connect("alice", transport).await;
        join(&alice, "lobby").await;
        join(&alice, "sandbox").await;
        let sent = trigger(&alice, "lobby", "message", message("hi")).await;
        assert_eq!(sent["from"], "alice");
        leave(&alice, "sandbox").await;
        alice.disconnect().await;
        log.wait_for(&format!("on_disconnect:alice:{name}:true"))
            .await;

        let entries = log.entries();
        let listener = entries
            .iter()
            .position(|e| e == "listener:\"hi\"")
            .unwrap_or_else(|| panic!("the room listener ran: {entries:?}"));
        let triggered = entries
            .iter()
            .position(|e| e == "on_triggered:\"hi\"")
            .expect("on_triggered ran");
        assert!(listener > triggered, "listeners run last: {entries:?}");
        let in_order: Vec<&str> = entries
            .iter()
            .map(String::as_str)
            .filter(|e| !e.starts_with("listener:"))
            .collect();
        assert_eq!(
            in_order,
            [
                "authenticate:alice".to_owned(),
                format!("on_connect:alice:{name}:true"),
                "on_connected:alice:\"pro\"".to_owned(),
                "before_join:alice:lobby:0".to_owned(),
                "on_joined:alice:lobby:1".to_owned(),
                "before_join:alice:sandbox:0".to_owned(),
                "on_joined:alice:sandbox:1".to_owned(),
                "before_each:lobby:message:\"hi\"".to_owned(),
                // alice is subscribed to `message` in the lobby: one recipient.
                "after_each:alice:\"hi\":1".to_owned(),
                "on_triggered:\"hi\"".to_owned(),
                // After the leave: no longer a member.
                "on_left:alice:sandbox:false".to_owned(),
                "on_disconnected:alice:lobby".to_owned(),
                "on_left:alice:lobby:false".to_owned(),
                format!("on_disconnect:alice:{name}:true"),
            ],
            "{transport:?}"
        );
    }
}

#[tokio::test]
async fn joining_again_and_refused_requests_run_no_observing_hook() {
    let log = Log::default();
    let server = logging_server(&log).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    log.clear();
    // A member joining again changes nothing: no before_join, no on_joined.
    join(&alice, "lobby").await;
    // A refused trigger (the payload is invalid) reaches no event hook.
    let answer = ask(
        &alice,
        "dialogue:trigger",
        json!({ "roomId": "lobby", "event": "message", "data": { "text": "" } }),
    )
    .await;
    assert_eq!(answer["error"]["code"], "VALIDATION_FAILED", "{answer}");
    // Leaving a room one is not in runs no on_left.
    leave(&alice, "sandbox").await;
    ask_ok(&alice, "dialogue:listRooms", Value::Null).await;
    assert_eq!(log.entries(), Vec::<String>::new());
}

#[tokio::test]
async fn after_each_counts_each_recipient_once() {
    let log = Log::default();
    let server = logging_server(&log).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    let carol = server.connect("carol", Transport::WebSocket).await;
    let dave = server.connect("dave", Transport::WebSocket).await;
    for client in [&alice, &bob, &carol, &dave] {
        join(client, "lobby").await;
    }
    // carol is subscribed to `message` and to everything: still one socket.
    ask_ok(
        &carol,
        "dialogue:subscribeAll",
        json!({ "roomId": "lobby" }),
    )
    .await;
    // dave hears nothing.
    ask_ok(
        &dave,
        "dialogue:unsubscribe",
        json!({ "roomId": "lobby", "eventName": "message" }),
    )
    .await;
    trigger(&alice, "lobby", "message", message("count me")).await;
    log.wait_for("on_triggered:\"count me\"").await;
    assert_eq!(
        log.starting_with("after_each:"),
        ["after_each:alice:\"count me\":3"]
    );
    for client in [&alice, &bob, &carol] {
        assert_eq!(
            next(client, "dialogue:event").await["data"]["text"],
            "count me"
        );
    }

    // The server's own triggers run the event hooks too, as `system`.
    server
        .dialogue
        .trigger(
            ControlApp::lobby(),
            Message {
                text: "from the server".into(),
            },
        )
        .await
        .expect("the server triggers");
    log.wait_for("on_triggered:\"from the server\"").await;
    assert!(
        log.entries()
            .contains(&"before_each:lobby:message:\"from the server\"".to_owned()),
        "{:?}",
        log.entries()
    );
    assert!(
        log.entries()
            .contains(&"after_each:system:\"from the server\":3".to_owned()),
        "{:?}",
        log.entries()
    );
}

/// Holds `on_joined`, `after_each` and `on_left` in turn: the requester's
/// answer (and the broadcast) arrive while each hook is still running.
#[tokio::test]
async fn observing_hooks_run_after_the_answer() {
    let log = Log::default();
    let gate = Gate::default();
    let (l, g) = (log.clone(), gate.clone());
    let b = builder().on_joined(move |_, _, room| {
        let (l, g) = (l.clone(), g.clone());
        async move {
            l.push(format!("on_joined:{room}:start"));
            g.pass().await;
            l.push(format!("on_joined:{room}:end"));
        }
    });
    let (l, g) = (log.clone(), gate.clone());
    let b = b.after_each(move |_, message, _| {
        let (l, g) = (l.clone(), g.clone());
        async move {
            l.push(format!("after_each:{}:start", message.data["text"]));
            g.pass().await;
            l.push(format!("after_each:{}:end", message.data["text"]));
        }
    });
    let (l, g) = (log.clone(), gate.clone());
    let b = b.on_left(move |_, _, room| {
        let (l, g) = (l.clone(), g.clone());
        async move {
            l.push(format!("on_left:{room}:start"));
            g.pass().await;
            l.push(format!("on_left:{room}:end"));
        }
    });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::WebSocket).await;

    // The answer arrives while on_joined is held.
    let answer = join(&alice, "lobby").await;
    assert_eq!(answer["roomId"], "lobby");
    log.wait_for("on_joined:lobby:start").await;
    assert!(!log.entries().contains(&"on_joined:lobby:end".to_owned()));
    gate.open();
    log.wait_for("on_joined:lobby:end").await;
    join(&bob, "lobby").await;
    gate.open();
    log.wait_for("on_joined:lobby:end").await;

    // The trigger is answered and broadcast while after_each is held.
    let sent = trigger(&alice, "lobby", "message", message("held")).await;
    assert_eq!(sent["data"]["text"], "held");
    assert_eq!(next(&bob, "dialogue:event").await["data"]["text"], "held");
    log.wait_for("after_each:\"held\":start").await;
    assert!(
        !log.entries()
            .contains(&"after_each:\"held\":end".to_owned())
    );
    gate.open();
    log.wait_for("after_each:\"held\":end").await;

    // The leave is answered while on_left is held.
    leave(&alice, "lobby").await;
    log.wait_for("on_left:lobby:start").await;
    assert!(!log.entries().contains(&"on_left:lobby:end".to_owned()));
    gate.open();
    log.wait_for("on_left:lobby:end").await;
}

/// `on_connect` runs after the greeting, `on_connected` after it, and the
/// client's requests wait for both: `on_connected` may put the client in
/// rooms before its first request is read.
#[tokio::test]
async fn requests_wait_for_on_connected() {
    let log = Log::default();
    let gate = Gate::default();
    let (l, g) = (log.clone(), gate.clone());
    let b = builder().on_connect(move |_, info| {
        let (l, g) = (l.clone(), g.clone());
        async move {
            l.push(format!("on_connect:{}", info.user_id));
            g.pass().await;
        }
    });
    let l = log.clone();
    let b = b.on_connected(move |_, client| {
        let l = l.clone();
        async move {
            client.join("lobby").await.expect("joins from the hook");
            l.push(format!("on_connected:{}", client.user_id()));
        }
    });
    let server = Server::start(b).await;
    for transport in TRANSPORTS {
        log.clear();
        // The greeting comes while on_connect is held.
        let alice = server.connect("alice", transport).await;
        log.wait_for("on_connect:alice").await;
        assert_eq!(log.entries(), ["on_connect:alice"]);
        // A trigger sent now waits: it is not answered while on_connect holds.
        let request = json!({ "roomId": "lobby", "event": "message", "data": message("first") });
        let answered = alice.emit_with_ack("dialogue:trigger", request, WAIT);
        tokio::pin!(answered);
        assert!(
            tokio::time::timeout(QUIET, &mut answered).await.is_err(),
            "a request was answered before on_connected ran"
        );
        gate.open();
        // ... and is worked through once on_connected has joined the lobby.
        let answer = answered.await.expect("answered");
        assert_eq!(answer[0]["ok"], true, "{answer:?}");
        assert_eq!(log.entries(), ["on_connect:alice", "on_connected:alice"]);
        let joined = next(&alice, "dialogue:joined").await;
        assert_eq!(joined["roomId"], "lobby");
        alice.disconnect().await;
        server.only_client_gone("alice").await;
    }
}

/// Rooms created by a client: `dialogue:roomCreated` to everyone, the answer,
/// then `on_room_created`; deleted: `dialogue:roomDeleted`, `on_left` for
/// each member, then `on_room_deleted`.
#[tokio::test]
async fn room_hooks_run_after_everyone_is_told() {
    let log = Log::default();
    let gate = Gate::default();
    let (l, g) = (log.clone(), gate.clone());
    let b = builder().on_room_created(move |_, room| {
        let (l, g) = (l.clone(), g.clone());
        async move {
            l.push(format!(
                "on_room_created:{}:{}:{}",
                room.id(),
                room.name(),
                room.created_by().unwrap_or("-")
            ));
            g.pass().await;
            l.push("on_room_created:end");
        }
    });
    let l = log.clone();
    let b = b.on_left(move |_, client, room| {
        let l = l.clone();
        async move { l.push(format!("on_left:{}:{room}", client.user_id())) }
    });
    let (l, g) = (log.clone(), gate.clone());
    let b = b.on_room_deleted(move |dialogue, room| {
        let (l, g) = (l.clone(), g.clone());
        async move {
            l.push(format!(
                "on_room_deleted:{room}:{}",
                dialogue.room_by_id(&room).is_none()
            ));
            g.pass().await;
            l.push("on_room_deleted:end");
        }
    });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;

    // alice's answer arrives while on_room_created is held.
    let created = ask_ok(
        &alice,
        "dialogue:createRoom",
        json!({ "id": "team", "name": "Team" }),
    )
    .await;
    assert_eq!(created["room"]["id"], "team");
    assert_eq!(next(&bob, "dialogue:roomCreated").await["id"], "team");
    log.wait_for("on_room_created:team:Team:alice").await;
    assert!(!log.entries().contains(&"on_room_created:end".to_owned()));
    gate.open();
    log.wait_for("on_room_created:end").await;

    join(&bob, "team").await;
    ask_ok(&alice, "dialogue:deleteRoom", json!({ "roomId": "team" })).await;
    assert_eq!(next(&bob, "dialogue:roomDeleted").await["roomId"], "team");
    log.wait_for("on_room_deleted:team:true").await;
    assert!(!log.entries().contains(&"on_room_deleted:end".to_owned()));
    gate.open();
    log.wait_for("on_room_deleted:end").await;
    assert_eq!(
        log.entries(),
        [
            "on_room_created:team:Team:alice",
            "on_room_created:end",
            "on_left:bob:team",
            "on_room_deleted:team:true",
            "on_room_deleted:end",
        ]
    );
}
