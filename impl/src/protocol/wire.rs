//! Low-level protobuf writing: varints, field keys, and the frame envelope.
//!
//! prost can encode any of the structs in [`super::messages`], but those structs own their
//! strings. The server's hottest messages (a join event fanned out to every subscriber, a
//! QUERY_ALL_RESPONSE listing thousands of users) are built from names the server already holds,
//! so copying them into a `String`/`Vec<String>` just to encode them would be waste. This module
//! holds the few primitives needed to write such messages straight from borrowed data, with the
//! exact same bytes prost would produce (the tests compare the two):
//!
//! * a *varint* is an integer in 7-bit groups, least significant first, the high bit of each
//!   byte saying "more follows" (`300` is `ac 02`);
//! * every field starts with a *key* varint, `field_number << 3 | wire_type`, where wire type 0
//!   is a varint and 2 a length-delimited value (a length varint, then that many bytes);
//! * a field equal to its default (`0`, `false`, `""`) is left out entirely, except inside a
//!   repeated field, where every element is written.
//!
//! [`write_frame`] then wraps an inner message into the frame envelope, sizing the buffer once.

use bytes::{BufMut, Bytes, BytesMut};

use super::actions::Topic;

/// Wire type of varint-encoded scalars (`int32`, `bool`, enums).
const WIRE_VARINT: u32 = 0;
/// Wire type of length-delimited values (`string`, `bytes`, embedded messages).
const WIRE_LEN: u32 = 2;
/// Field number of the outer message's `topic`.
const OUTER_TOPIC_TAG: u32 = 2;
/// Field number of the outer message's `message`.
const OUTER_MESSAGE_TAG: u32 = 3;

/// Number of bytes `value` takes as a varint (1 to 10).
pub(crate) const fn varint_len(value: u64) -> usize {
    // Each byte carries 7 bits; a zero still takes one byte.
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends `value` as a varint.
pub(crate) fn put_varint(buf: &mut BytesMut, mut value: u64) {
    while value >= 0x80 {
        // Truncation is the point: keep the low 7 bits and flag that more follow.
        buf.put_u8((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
}

/// The varint protobuf writes for an `int32` or enum value: negative numbers are
/// sign-extended to 64 bits (and so take ten bytes).
const fn int32_as_varint(value: i32) -> u64 {
    value as i64 as u64
}

/// The key varint that opens field `tag` of the given wire type.
const fn key(tag: u32, wire_type: u32) -> u64 {
    ((tag << 3) | wire_type) as u64
}

/// Encoded size of an `int32`/enum field, zero when `value` is the default.
pub(crate) const fn int32_field_len(tag: u32, value: i32) -> usize {
    if value == 0 {
        0
    } else {
        varint_len(key(tag, WIRE_VARINT)) + varint_len(int32_as_varint(value))
    }
}

/// Writes an `int32`/enum field unless `value` is the default.
pub(crate) fn put_int32_field(buf: &mut BytesMut, tag: u32, value: i32) {
    if value != 0 {
        put_varint(buf, key(tag, WIRE_VARINT));
        put_varint(buf, int32_as_varint(value));
    }
}

/// Encoded size of a `bool` field, zero when `value` is `false`.
pub(crate) const fn bool_field_len(tag: u32, value: bool) -> usize {
    if value {
        varint_len(key(tag, WIRE_VARINT)) + 1
    } else {
        0
    }
}

/// Writes a `bool` field unless `value` is `false`.
pub(crate) fn put_bool_field(buf: &mut BytesMut, tag: u32, value: bool) {
    if value {
        put_varint(buf, key(tag, WIRE_VARINT));
        buf.put_u8(1);
    }
}

/// Encoded size of one length-delimited entry, written even when empty (a repeated element).
pub(crate) const fn bytes_entry_len(tag: u32, len: usize) -> usize {
    varint_len(key(tag, WIRE_LEN)) + varint_len(len as u64) + len
}

/// Writes one length-delimited entry, even when empty (a repeated element).
pub(crate) fn put_bytes_entry(buf: &mut BytesMut, tag: u32, value: &[u8]) {
    put_varint(buf, key(tag, WIRE_LEN));
    put_varint(buf, value.len() as u64);
    buf.put_slice(value);
}

/// Encoded size of a singular `string` field, zero when `value` is empty.
pub(crate) const fn str_field_len(tag: u32, value: &str) -> usize {
    if value.is_empty() {
        0
    } else {
        bytes_entry_len(tag, value.len())
    }
}

/// Writes a singular `string` field unless `value` is empty.
pub(crate) fn put_str_field(buf: &mut BytesMut, tag: u32, value: &str) {
    if !value.is_empty() {
        put_bytes_entry(buf, tag, value.as_bytes());
    }
}

/// Builds a whole frame, `varint(len(M)) ++ M` with `M = Message { topic, message: inner }`,
/// into one buffer allocated at its final size.
///
/// `inner_len` must be the exact encoded size of what `write_inner` appends; debug builds check
/// it. Like prost, an `UNKNOWN` topic or an empty inner message is left out of the envelope.
pub(crate) fn write_frame(
    topic: Topic,
    inner_len: usize,
    write_inner: impl FnOnce(&mut BytesMut),
) -> Bytes {
    let topic = topic as i32;
    let inner_field_len = if inner_len == 0 {
        0
    } else {
        bytes_entry_len(OUTER_MESSAGE_TAG, inner_len)
    };
    let outer_len = int32_field_len(OUTER_TOPIC_TAG, topic) + inner_field_len;
    let total = varint_len(outer_len as u64) + outer_len;

    let mut buf = BytesMut::with_capacity(total);
    put_varint(&mut buf, outer_len as u64);
    put_int32_field(&mut buf, OUTER_TOPIC_TAG, topic);
    if inner_len != 0 {
        put_varint(&mut buf, key(OUTER_MESSAGE_TAG, WIRE_LEN));
        put_varint(&mut buf, inner_len as u64);
        let before = buf.len();
        write_inner(&mut buf);
        debug_assert_eq!(buf.len() - before, inner_len, "inner length mismatch");
    }
    debug_assert_eq!(buf.len(), total, "frame length mismatch");
    buf.freeze()
}

/// The 7-byte frame of a message whose only field is its action, built at compile time.
///
/// Many replies carry nothing but an action (ACCEPT, PONG, AUTH_SUCCESSFUL, UNKNOWN_TOPIC...):
///
/// ```text
/// 06 | 10 topic | 1a 02 | 08 action
/// ```
///
/// As a constant such a frame costs no allocation at all when sent
/// (`Bytes::from_static`). Both numbers must be in `1..=127`, so that each fits in a one-byte
/// varint; anything else fails to compile where the constant is defined.
pub(crate) const fn action_only_frame(topic: Topic, action: i32) -> [u8; 7] {
    let topic = topic as i32;
    assert!(topic > 0 && topic < 0x80 && action > 0 && action < 0x80);
    [0x06, 0x10, topic as u8, 0x1a, 0x02, 0x08, action as u8]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::Message;
    use crate::protocol::testutil::hex;
    use prost::Message as _;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn varints_match_prost() {
        let samples = [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            int32_as_varint(-1),
            u64::MAX,
        ];
        for value in samples {
            let mut ours = BytesMut::new();
            put_varint(&mut ours, value);
            assert_eq!(ours.len(), varint_len(value), "length of {value}");
            // On the 64-bit targets rollcall runs on, a usize length delimiter is a u64 varint.
            let mut theirs = Vec::new();
            let encoded = prost::encode_length_delimiter(value as usize, &mut theirs);
            assert!(encoded.is_ok());
            assert_eq!(&ours[..], &theirs[..], "bytes of {value}");
        }
        let mut three_hundred = BytesMut::new();
        put_varint(&mut three_hundred, 300);
        assert_eq!(hex(&three_hundred), "ac02");
    }

    #[test]
    fn action_only_frames_match_the_general_writer() {
        for (topic, action) in [
            (Topic::Connection, 4),
            (Topic::Parser, 1),
            (Topic::Auth, 102),
        ] {
            let general = write_frame(topic, 2, |buf| put_int32_field(buf, 1, action));
            assert_eq!(&action_only_frame(topic, action)[..], &general[..]);
        }
    }

    #[test]
    fn negative_int32_takes_ten_bytes() {
        assert_eq!(int32_field_len(3, -1), 11);
    }

    #[test]
    fn envelope_matches_prost() {
        for (topic, inner) in [
            (Topic::Presence, vec![0x08, 0x03]),
            (Topic::Unknown, vec![0x08, 0x03]),
            (Topic::Auth, Vec::new()),
            (Topic::Error, vec![0x42; 300]),
        ] {
            let ours = write_frame(topic, inner.len(), |buf| buf.put_slice(&inner));
            let reference = Message {
                topic: topic as i32,
                message: inner.clone(),
            }
            .encode_length_delimited_to_vec();
            assert_eq!(hex(&ours), hex(&reference), "{topic:?}");
        }
    }
}
