//! One item of a socket's outgoing queue.

use engineioxide_core::{Packet, PacketBuf, Str};
use smallvec::smallvec;

/// One item of a socket's outgoing queue: what one emit sends, atomically.
///
/// Why not a [`PacketBuf`]: tokio's `mpsc` channel allocates its slots in
/// blocks of 32, and a socket's queue keeps its first block for as long as
/// the socket lives, so the item's size is paid 32 times per connection,
/// idle or not. A [`PacketBuf`] is 168 bytes (two inline packets, each as
/// large as the open packet, which never goes through the queue), so a
/// block is 5.4 KB. Nearly every item is one text message or a heartbeat:
/// those are kept inline, and the rest (binary packets, several packets
/// sent together) is boxed. An item is 40 bytes and a block 1.3 KB.
#[derive(Debug)]
pub(crate) enum Queued {
    /// One text message: the common case.
    Message(Str),
    /// A ping (v4 heartbeat).
    Ping,
    /// A pong (v3 heartbeat).
    Pong,
    /// A noop, to end a polling request during an upgrade.
    Noop,
    /// Anything else, in order.
    Packets(Box<PacketBuf>),
}

impl From<Packet> for Queued {
    fn from(packet: Packet) -> Self {
        match packet {
            Packet::Message(msg) => Queued::Message(msg),
            Packet::Ping => Queued::Ping,
            Packet::Pong => Queued::Pong,
            Packet::Noop => Queued::Noop,
            packet => Queued::Packets(Box::new(smallvec![packet])),
        }
    }
}

impl From<PacketBuf> for Queued {
    fn from(mut packets: PacketBuf) -> Self {
        if packets.len() == 1
            && let Some(packet) = packets.pop()
        {
            return packet.into();
        }
        Queued::Packets(Box::new(packets))
    }
}

impl Queued {
    /// The item as its one packet, or as the several it holds.
    pub(crate) fn into_packets(self) -> Result<Packet, Box<PacketBuf>> {
        match self {
            Queued::Message(msg) => Ok(Packet::Message(msg)),
            Queued::Ping => Ok(Packet::Ping),
            Queued::Pong => Ok(Packet::Pong),
            Queued::Noop => Ok(Packet::Noop),
            Queued::Packets(packets) => Err(packets),
        }
    }
}

impl From<Queued> for PacketBuf {
    fn from(queued: Queued) -> Self {
        match queued.into_packets() {
            Ok(packet) => smallvec![packet],
            Err(packets) => *packets,
        }
    }
}

impl IntoIterator for Queued {
    type Item = Packet;
    type IntoIter = <PacketBuf as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        PacketBuf::from(self).into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn an_item_is_a_fifth_of_a_packet_buffer() {
        assert!(std::mem::size_of::<Queued>() <= 40);
        assert!(std::mem::size_of::<PacketBuf>() >= 4 * std::mem::size_of::<Queued>());
    }

    #[test]
    fn packets_come_back_as_they_went_in() {
        let cases: Vec<PacketBuf> = vec![
            smallvec![Packet::Message("hello".into())],
            smallvec![Packet::Ping],
            smallvec![Packet::Pong],
            smallvec![Packet::Noop],
            smallvec![Packet::Binary(Bytes::from_static(b"\x01\x02"))],
            smallvec![
                Packet::Message("with attachments".into()),
                Packet::Binary(Bytes::from_static(b"a")),
                Packet::Binary(Bytes::from_static(b"b")),
            ],
            smallvec![],
        ];
        for packets in cases {
            let queued = Queued::from(packets.clone());
            assert_eq!(queued.into_iter().collect::<PacketBuf>(), packets);
        }
        assert!(matches!(
            Queued::from(Packet::Message("one".into())),
            Queued::Message(_)
        ));
    }
}
