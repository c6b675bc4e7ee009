//! A minimal protocol-buffers encoder: the wire format (varints, tags, length-delimited
//! fields, packed repeated fields) and nothing else, enough to write ONNX messages.
//!
//! Fields are written in the order the caller appends them; protobuf readers accept any order.

/// Wire type of a varint field.
const VARINT: u64 = 0;
/// Wire type of a length-delimited field (strings, bytes, messages, packed repeated).
const LEN: u64 = 2;

/// One encoded message.
#[derive(Debug, Default, Clone)]
pub(crate) struct Message(Vec<u8>);

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    fn raw_varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn tag(&mut self, field: u32, wire: u64) {
        self.raw_varint((u64::from(field) << 3) | wire);
    }

    /// An `int64` / `int32` / enum field (negative values take ten bytes, as protobuf says).
    pub fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.tag(field, VARINT);
        self.raw_varint(v as u64);
        self
    }

    /// A `bytes` field.
    pub fn bytes(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.tag(field, LEN);
        self.raw_varint(v.len() as u64);
        self.0.extend_from_slice(v);
        self
    }

    /// A `string` field.
    pub fn string(&mut self, field: u32, v: &str) -> &mut Self {
        self.bytes(field, v.as_bytes())
    }

    /// An embedded message field.
    pub fn message(&mut self, field: u32, m: &Message) -> &mut Self {
        self.bytes(field, &m.0)
    }

    /// A packed `repeated int64` field.
    pub fn packed_ints(&mut self, field: u32, values: &[i64]) -> &mut Self {
        let mut body = Message::new();
        values.iter().for_each(|&v| body.raw_varint(v as u64));
        self.bytes(field, &body.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_examples() {
        // The protobuf documentation's examples: field 1 = 150 is 08 96 01; field 2 = "testing".
        let mut m = Message::new();
        m.int(1, 150);
        assert_eq!(m.clone().into_bytes(), [0x08, 0x96, 0x01]);
        m.string(2, "testing");
        assert_eq!(&m.clone().into_bytes()[3..5], &[0x12, 0x07]);
        let mut packed = Message::new();
        packed.packed_ints(4, &[3, 270, 86942]);
        assert_eq!(
            packed.into_bytes(),
            [0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]
        );
        let mut neg = Message::new();
        neg.int(1, -1);
        assert_eq!(neg.into_bytes().len(), 11);
    }
}
