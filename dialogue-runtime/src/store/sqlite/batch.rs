//! The statements of one commit: a batch of events, and each room's
//! position (its latest seq, which tells on open whether rows were cut;
//! see `schema`), in one transaction.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use crate::store::sqlite::writer::Write;

/// Commits `batch` in one transaction: the events, and each room's position.
pub(crate) fn commit(connection: &mut Connection, batch: &[Write]) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    {
        let mut insert = transaction.prepare_cached(
            "INSERT INTO dialogue_events (room, seq, event, timestamp, trigger, envelope)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut latest: HashMap<&str, (u64, u64)> = HashMap::new();
        for write in batch {
            let event = &write.event;
            insert.execute(params![
                &*write.room,
                event.seq() as i64,
                event.event(),
                event.timestamp() as i64,
                write.trigger,
                event.json().get(),
            ])?;
            latest.insert(&write.room, (write.epoch, event.seq()));
        }
        let mut position = transaction.prepare_cached(
            "INSERT INTO dialogue_rooms (room, epoch, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (room) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq",
        )?;
        for (room, (epoch, seq)) in latest {
            position.execute(params![room, epoch as i64, seq as i64])?;
        }
    }
    transaction.commit()
}
