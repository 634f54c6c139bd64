//! From raw bytes to UTF-8 text: gzip is unpacked, UTF-16 (as Excel writes "Unicode text") is
//! transcoded, a UTF-8 byte-order mark is dropped, and the first bytes are kept aside so the
//! format can be sniffed without reading the input twice.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

use super::{IngestError, LimitExceeded};

/// Longest physical line read; the rest of a longer one is read past, and the line rejected.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Appends the next line of `reader` to `line` (its line break kept), at most
/// [`MAX_LINE_BYTES`] of it, so one endless line cannot fill memory: the bytes the whole line
/// had (0 at the end of the input), and whether it was cut.
pub fn read_line(reader: &mut dyn BufRead, line: &mut Vec<u8>) -> io::Result<(u64, bool)> {
    let mut length = 0u64;
    let mut cut = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok((length, cut));
        }
        let (chunk, ends) = match available.iter().position(|&byte| byte == b'\n') {
            Some(at) => (&available[..=at], true),
            None => (available, false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        if chunk.len() > room {
            line.extend_from_slice(&chunk[..room]);
            cut = true;
        } else if !cut {
            line.extend_from_slice(chunk);
        }
        let used = chunk.len();
        length += used as u64;
        reader.consume(used);
        if ends {
            return Ok((length, cut));
        }
    }
}

/// Text kept for sniffing the format (also the first bytes handed to the parser).
pub const SNIFF_BYTES: usize = 64 * 1024;
/// Leading bytes checked for NUL to tell binary input from text.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The encoding the input was written in (its bytes are always handed on as UTF-8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 with BOM",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
        }
    }
}

/// An input ready to parse: UTF-8 text (invalid sequences are left for the parsers to reject row
/// by row) and its first [`SNIFF_BYTES`].
pub struct Text<'a> {
    pub reader: Box<dyn BufRead + 'a>,
    pub head: Vec<u8>,
    pub gzip: bool,
    pub encoding: TextEncoding,
}

/// Counts the raw bytes taken from the input, so progress can be shown against the file size
/// even when the file is compressed.
pub struct CountingReader<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R> CountingReader<R> {
    pub fn new(inner: R) -> (Self, Rc<Cell<u64>>) {
        let consumed = Rc::new(Cell::new(0));
        let reader = Self {
            inner,
            consumed: Rc::clone(&consumed),
        };
        (reader, consumed)
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + read as u64);
        Ok(read)
    }
}

/// The read limit crossed, if any: shared by the reader that counts bytes and the collector
/// that counts records, and looked at once reading has stopped.
pub type Exceeded = Rc<Cell<Option<LimitExceeded>>>;

/// Text after unpacking, at most `limit_bytes` of it: past that, this read and every later one
/// fail, so whatever parser is reading stops there.
struct Capped<R> {
    inner: R,
    left_bytes: u64,
    limit_bytes: u64,
    exceeded: Exceeded,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(limit) = self.exceeded.get() {
            return Err(io::Error::other(limit));
        }
        let read = self.inner.read(buf)?;
        match self.left_bytes.checked_sub(read as u64) {
            Some(left_bytes) => {
                self.left_bytes = left_bytes;
                Ok(read)
            }
            None => {
                let limit = LimitExceeded::ExpandedBytes {
                    limit_bytes: self.limit_bytes,
                };
                self.exceeded.set(Some(limit));
                Err(io::Error::other(limit))
            }
        }
    }
}

/// The text of `raw`, unpacked and transcoded; at most `max_expanded_bytes` are unpacked
/// (crossing it is recorded in `exceeded`).
pub fn open<'a, R: Read + 'a>(
    raw: R,
    max_expanded_bytes: u64,
    exceeded: &Exceeded,
) -> Result<Text<'a>, IngestError> {
    let mut raw = BufReader::with_capacity(SNIFF_BYTES, raw);
    let gzip = raw.fill_buf().map_err(io_error)?.starts_with(&GZIP_MAGIC);
    let unpacked: Box<dyn Read + 'a> = if gzip {
        Box::new(MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let bytes: Box<dyn Read + 'a> = Box::new(Capped {
        inner: unpacked,
        left_bytes: max_expanded_bytes,
        limit_bytes: max_expanded_bytes,
        exceeded: Rc::clone(exceeded),
    });
    let (mut head, rest) = read_head(bytes, gzip)?;
    let encoding = detect_encoding(&head);
    let text: Box<dyn Read + 'a> = match encoding {
        TextEncoding::Utf8 => Box::new(Cursor::new(head).chain(rest)),
        TextEncoding::Utf8Bom => {
            head.drain(..3);
            Box::new(Cursor::new(head).chain(rest))
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let little_endian = encoding == TextEncoding::Utf16Le;
            if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
                head.drain(..2);
            }
            let utf8 = Utf16Reader::new(Cursor::new(head).chain(rest), little_endian);
            let (head, rest) = read_head(Box::new(utf8), gzip)?;
            Box::new(Cursor::new(head).chain(rest))
        }
    };
    let mut reader = BufReader::with_capacity(SNIFF_BYTES, text);
    let head = peek(&mut reader, gzip)?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty);
    }
    let sniffed = &head[..head.len().min(BINARY_SNIFF_BYTES)];
    if let Some(offset) = sniffed.iter().position(|&byte| byte == 0) {
        return Err(IngestError::NotText { offset });
    }
    Ok(Text {
        reader: Box::new(reader),
        head,
        gzip,
        encoding,
    })
}

/// Reads up to [`SNIFF_BYTES`] (fewer only at the end of the input). A read error after some
/// bytes (a truncated gzip stream) is kept for the parser to meet after those bytes, so the
/// records before it are not lost.
fn read_head<'a>(
    mut reader: Box<dyn Read + 'a>,
    gzip: bool,
) -> Result<(Vec<u8>, Box<dyn Read + 'a>), IngestError> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    match (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
    {
        Ok(_) => Ok((head, reader)),
        Err(error) if head.is_empty() => Err(read_error(error, gzip)),
        Err(error) => Ok((head, Box::new(FailAfter(Some(error))))),
    }
}

/// A reader that has nothing more but the error that stopped the input.
struct FailAfter(Option<io::Error>);

impl Read for FailAfter {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(error) => Err(error),
            None => Ok(0),
        }
    }
}

/// The buffered text at the start, without consuming it. The reader is built on a cursor holding
/// the whole head, so one fill returns all of it.
fn peek(reader: &mut BufReader<Box<dyn Read + '_>>, gzip: bool) -> Result<Vec<u8>, IngestError> {
    reader
        .fill_buf()
        .map(<[u8]>::to_vec)
        .map_err(|error| read_error(error, gzip))
}

fn detect_encoding(head: &[u8]) -> TextEncoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return TextEncoding::Utf8Bom;
    }
    if head.starts_with(&[0xff, 0xfe]) {
        return TextEncoding::Utf16Le;
    }
    if head.starts_with(&[0xfe, 0xff]) {
        return TextEncoding::Utf16Be;
    }
    // Without a byte-order mark, ASCII text in UTF-16 has a NUL in every other byte.
    let pairs: Vec<&[u8]> = head.chunks_exact(2).take(64).collect();
    if pairs.len() >= 8 {
        let nul_second = pairs.iter().filter(|p| p[1] == 0 && p[0] != 0).count();
        let nul_first = pairs.iter().filter(|p| p[0] == 0 && p[1] != 0).count();
        if nul_second * 10 >= pairs.len() * 9 {
            return TextEncoding::Utf16Le;
        }
        if nul_first * 10 >= pairs.len() * 9 {
            return TextEncoding::Utf16Be;
        }
    }
    TextEncoding::Utf8
}

fn io_error(error: io::Error) -> IngestError {
    IngestError::Read(error.to_string())
}

/// A read error at the very start: a broken gzip stream is named as such.
fn read_error(error: io::Error, gzip: bool) -> IngestError {
    if gzip {
        IngestError::Gzip(error.to_string())
    } else {
        io_error(error)
    }
}

/// Counts the lines of the text as it is read (the last one too when it has no line break).
pub struct LineCounter<R> {
    inner: R,
    breaks: u64,
    ends_open: bool,
    lines: Rc<Cell<u64>>,
}

impl<R> LineCounter<R> {
    pub fn new(inner: R) -> (Self, Rc<Cell<u64>>) {
        let lines = Rc::new(Cell::new(0));
        let counter = Self {
            inner,
            breaks: 0,
            ends_open: false,
            lines: Rc::clone(&lines),
        };
        (counter, lines)
    }

    fn count(&mut self, bytes: &[u8]) {
        count_lines(bytes, &mut self.breaks, &mut self.ends_open);
        self.lines.set(self.breaks + u64::from(self.ends_open));
    }
}

fn count_lines(bytes: &[u8], breaks: &mut u64, ends_open: &mut bool) {
    if let Some(&last) = bytes.last() {
        *breaks += bytes.iter().filter(|&&byte| byte == b'\n').count() as u64;
        *ends_open = last != b'\n';
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.count(&buf[..read]);
        Ok(read)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // The buffer is the one `fill_buf` returned: asking again reads nothing.
        if let Ok(buffer) = self.inner.fill_buf() {
            let consumed = &buffer[..amount.min(buffer.len())];
            count_lines(consumed, &mut self.breaks, &mut self.ends_open);
            self.lines.set(self.breaks + u64::from(self.ends_open));
        }
        self.inner.consume(amount);
    }
}

/// UTF-16 → UTF-8, streaming; unpaired surrogates and a dangling odd byte become U+FFFD.
struct Utf16Reader<R> {
    inner: R,
    little_endian: bool,
    raw: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    pending_high: Option<u16>,
    finished: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, little_endian: bool) -> Self {
        Self {
            inner,
            little_endian,
            raw: Vec::with_capacity(16 * 1024),
            out: Vec::with_capacity(16 * 1024),
            out_pos: 0,
            pending_high: None,
            finished: false,
        }
    }

    fn push(&mut self, c: char) {
        let mut buf = [0; 4];
        self.out
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }

    fn push_unit(&mut self, unit: u16) {
        match (self.pending_high.take(), unit) {
            (Some(high), 0xDC00..=0xDFFF) => {
                let code =
                    0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                self.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            (pending, 0xD800..=0xDBFF) => {
                if pending.is_some() {
                    self.push(char::REPLACEMENT_CHARACTER);
                }
                self.pending_high = Some(unit);
            }
            (pending, unit) => {
                if pending.is_some() {
                    self.push(char::REPLACEMENT_CHARACTER);
                }
                self.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        let mut chunk = [0u8; 8 * 1024];
        while self.out.is_empty() && !self.finished {
            let read = self.inner.read(&mut chunk)?;
            if read == 0 {
                self.finished = true;
                if self.pending_high.take().is_some() || !self.raw.is_empty() {
                    self.push(char::REPLACEMENT_CHARACTER);
                }
                self.raw.clear();
                break;
            }
            self.raw.extend_from_slice(&chunk[..read]);
            let whole = self.raw.len() / 2 * 2;
            let units: Vec<u16> = self.raw[..whole]
                .chunks_exact(2)
                .map(|pair| {
                    if self.little_endian {
                        u16::from_le_bytes([pair[0], pair[1]])
                    } else {
                        u16::from_be_bytes([pair[0], pair[1]])
                    }
                })
                .collect();
            self.raw.drain(..whole);
            for unit in units {
                self.push_unit(unit);
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() {
            self.refill()?;
        }
        let available = &self.out[self.out_pos..];
        let count = available.len().min(buf.len());
        buf[..count].copy_from_slice(&available[..count]);
        self.out_pos += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_all(bytes: &[u8]) -> Result<Text<'_>, IngestError> {
        open(bytes, u64::MAX, &Exceeded::default())
    }

    fn text_of(bytes: &[u8]) -> (String, TextEncoding) {
        let mut text = open_all(bytes).unwrap();
        let mut out = String::new();
        text.reader.read_to_string(&mut out).unwrap();
        (out, text.encoding)
    }

    fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        if bom {
            bytes.extend_from_slice(if little_endian {
                &[0xff, 0xfe]
            } else {
                &[0xfe, 0xff]
            });
        }
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&if little_endian {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bytes
    }

    #[test]
    fn decodes_every_supported_encoding() {
        let text = "timestamp\tuser_id\n2026-01-01T00:00:00Z\tjosé 😀\n";
        assert_eq!(
            text_of(text.as_bytes()),
            (text.to_owned(), TextEncoding::Utf8)
        );
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(text_of(&bom), (text.to_owned(), TextEncoding::Utf8Bom));
        for (little_endian, bom, encoding) in [
            (true, true, TextEncoding::Utf16Le),
            (false, true, TextEncoding::Utf16Be),
            (true, false, TextEncoding::Utf16Le),
        ] {
            assert_eq!(
                text_of(&utf16(text, little_endian, bom)),
                (text.to_owned(), encoding)
            );
        }
    }

    #[test]
    fn long_utf16_input_survives_chunk_boundaries() {
        let text = "a😀b,".repeat(40_000);
        assert_eq!(text_of(&utf16(&text, true, true)).0, text);
    }

    #[test]
    fn unpacks_gzip() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"hello,world\n").unwrap();
        let packed = encoder.finish().unwrap();
        let mut text = open_all(packed.as_slice()).unwrap();
        assert!(text.gzip);
        let mut out = String::new();
        text.reader.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello,world\n");
    }

    #[test]
    fn refuses_empty_and_binary_input() {
        assert!(matches!(open_all(&b""[..]), Err(IngestError::Empty)));
        assert!(matches!(open_all(&b" \n\n"[..]), Err(IngestError::Empty)));
        assert!(matches!(
            open_all(&b"PK\x03\x04\x00\x00rest"[..]),
            Err(IngestError::NotText { offset: 4 })
        ));
        assert!(matches!(
            open_all(&[0x1f, 0x8b, 0x08, 0x00, 0x01][..]),
            Err(IngestError::Gzip(_))
        ));
    }
}
