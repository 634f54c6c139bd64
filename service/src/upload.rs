//! Reading an upload (`multipart/form-data`): its text fields, then the `file` field, within the
//! upload limit. The REST API and the pages' server functions both read uploads here. The file is
//! written to disk as it arrives ([`SpooledFile`]), so an upload takes the server's memory only
//! for what is analysed from it, never for the file itself.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use engine::IngestOptions;
use engine::digest::Fnv1a64;
use tokio::io::AsyncWriteExt;

use crate::clock::now_ms;
use crate::error::{Categorised, ErrorKind};
use crate::text::bytes;

pub struct Upload {
    pub file_name: String,
    pub content: SpooledFile,
    /// The text fields, by name.
    pub fields: HashMap<String, String>,
}

/// Why an upload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("expected a multipart/form-data upload with a `file` field")]
    NotMultipart,
    #[error("unreadable upload: {0}")]
    Unreadable(String),
    #[error(
        "the file is larger than the upload limit of {}; start the server with --max-upload-mb to change it",
        bytes(*limit)
    )]
    TooLarge { limit: u64 },
    #[error("the upload has no `file` field")]
    NoFile,
    /// The `format` or `map` field.
    #[error("{0}")]
    BadReadingOptions(String),
    #[error("the upload could not be written to the server's upload directory: {0}")]
    Spool(#[source] std::io::Error),
}

impl Categorised for UploadError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLarge { .. } => ErrorKind::TooLarge,
            Self::Spool(_) => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::BadReadingOptions(_) => "bad_reading_options",
            Self::Spool(_) => "internal",
            _ => "bad_upload",
        }
    }
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// The engine's reading options from the `format` and `map` fields; year-less auth.log
    /// lines are dated relative to the upload.
    pub fn ingest_options(&self) -> Result<IngestOptions, UploadError> {
        crate::reading::ingest_options(self.field("format"), self.field("map"), Some(now_ms()))
            .map_err(UploadError::BadReadingOptions)
    }
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Result<String, UploadError> {
    multer::parse_boundary(content_type).map_err(|_| UploadError::NotMultipart)
}

/// Reads every field; the file, at most `limit` bytes, is written to a temporary file in
/// `spool_dir` as it arrives.
pub async fn read_upload(
    mut multipart: multer::Multipart<'_>,
    limit: u64,
    spool_dir: &Path,
) -> Result<Upload, UploadError> {
    let unreadable = |error: multer::Error| match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            UploadError::TooLarge { limit }
        }
        other => UploadError::Unreadable(other.to_string()),
    };
    let mut fields = HashMap::new();
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let value = field.text().await.map_err(unreadable)?;
            fields.insert(name, value);
            continue;
        }
        let file_name = field.file_name().unwrap_or("upload").to_owned();
        let mut spool = Spooling::new(spool_dir).map_err(UploadError::Spool)?;
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if spool.seen.len + chunk.len() as u64 > limit {
                return Err(UploadError::TooLarge { limit });
            }
            spool.write(&chunk).await.map_err(UploadError::Spool)?;
        }
        file = Some((file_name, spool.finish().await.map_err(UploadError::Spool)?));
    }
    let (file_name, content) = file.ok_or(UploadError::NoFile)?;
    Ok(Upload {
        file_name,
        content,
        fields,
    })
}

/// An uploaded file on disk: an unnamed temporary file, which the system removes when it is
/// dropped (or when the server stops, however it stops). Read it with [`Self::reader`], as often
/// as needed, from any thread.
#[derive(Debug)]
pub struct SpooledFile {
    file: std::fs::File,
    seen: Seen,
}

/// What is noted of a file's bytes as they are written: its length, its FNV-1a, the first two
/// bytes (the gzip magic) and the last four (gzip's size of what it unpacks to).
#[derive(Debug, Default)]
struct Seen {
    len: u64,
    digest: Fnv1a64,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Seen {
    fn add(&mut self, chunk: &[u8]) {
        self.len += chunk.len() as u64;
        self.digest.write_bytes(chunk);
        let wanted = 2usize.saturating_sub(self.head.len());
        self.head
            .extend_from_slice(&chunk[..chunk.len().min(wanted)]);
        self.tail
            .extend_from_slice(&chunk[chunk.len().saturating_sub(4)..]);
        let excess = self.tail.len().saturating_sub(4);
        self.tail.drain(..excess);
    }
}

impl SpooledFile {
    /// `bytes` written to a temporary file in `dir` (for content that did not come as an upload).
    pub fn of_bytes(dir: &Path, bytes: &[u8]) -> std::io::Result<Self> {
        use std::io::Write;
        let mut file = tempfile::tempfile_in(dir)?;
        file.write_all(bytes)?;
        let mut seen = Seen::default();
        seen.add(bytes);
        Ok(Self { file, seen })
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        self.seen.len
    }

    pub fn is_empty(&self) -> bool {
        self.seen.len == 0
    }

    /// FNV-1a of the content ([`engine::digest::fnv1a64`]).
    pub fn digest(&self) -> u64 {
        self.seen.digest.finish()
    }

    /// What the content holds once unpacked: a gzip member's recorded size (modulo 4 GiB, as
    /// gzip keeps it), otherwise its length. An estimate for planning memory; reading enforces
    /// the real limits.
    pub fn text_bytes(&self) -> u64 {
        match (self.seen.head.as_slice(), self.seen.tail.as_slice()) {
            ([0x1f, 0x8b], &[a, b, c, d]) if self.seen.len >= 18 => {
                u64::from(u32::from_le_bytes([a, b, c, d]))
            }
            _ => self.seen.len,
        }
    }

    /// Reads the content from its start.
    pub fn reader(&self) -> impl Read + '_ {
        std::io::BufReader::with_capacity(
            256 * 1024,
            SpoolReader {
                file: &self.file,
                offset: 0,
            },
        )
    }
}

/// Reads a spooled file at its own offset (positioned reads), so readers do not disturb each
/// other.
struct SpoolReader<'a> {
    file: &'a std::fs::File,
    offset: u64,
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.file.read_at(buf, self.offset)?;
        self.offset += read as u64;
        Ok(read)
    }
}

/// A file being received.
struct Spooling {
    file: tokio::io::BufWriter<tokio::fs::File>,
    seen: Seen,
}

impl Spooling {
    fn new(dir: &Path) -> std::io::Result<Self> {
        let file = tempfile::tempfile_in(dir)?;
        Ok(Self {
            file: tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file)),
            seen: Seen::default(),
        })
    }

    async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk).await?;
        self.seen.add(chunk);
        Ok(())
    }

    async fn finish(mut self) -> std::io::Result<SpooledFile> {
        self.file.flush().await?;
        let file = self.file.into_inner().into_std().await;
        Ok(SpooledFile {
            file,
            seen: self.seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_file_reads_back_whole_as_often_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        let content: Vec<u8> = (0..600_000u32).map(|index| (index % 251) as u8).collect();
        let spooled = SpooledFile::of_bytes(dir.path(), &content).unwrap();
        assert_eq!(spooled.len(), content.len() as u64);
        assert_eq!(spooled.digest(), engine::digest::fnv1a64(&content));
        let mut first = spooled.reader();
        let mut half = vec![0; 1000];
        first.read_exact(&mut half).unwrap();
        // A second reader starts from the beginning whatever the first has read.
        let mut whole = Vec::new();
        spooled.reader().read_to_end(&mut whole).unwrap();
        assert_eq!(whole, content);
        assert_eq!(half, content[..1000]);
    }

    #[test]
    fn text_bytes_are_what_a_gzip_file_says_it_unpacks_to() {
        let dir = tempfile::tempdir().unwrap();
        let plain = SpooledFile::of_bytes(dir.path(), &[b'a'; 1000]).unwrap();
        assert_eq!(plain.text_bytes(), 1000);
        // A gzip file states its unpacked size (modulo 4 GiB) in its last four bytes.
        let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0];
        gzip.extend_from_slice(&5_000_000u32.to_le_bytes());
        let gzip = SpooledFile::of_bytes(dir.path(), &gzip).unwrap();
        assert_eq!(gzip.text_bytes(), 5_000_000);
    }

    #[tokio::test]
    async fn an_upload_is_spooled_as_it_arrives_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let body = |file: &[u8]| {
            let mut body = b"--B\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\ncsv\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"log.csv\"\r\n\r\n".to_vec();
            body.extend_from_slice(file);
            body.extend_from_slice(b"\r\n--B--\r\n");
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                body.chunks(7).map(|chunk| Ok(chunk.to_vec())).collect();
            multer::Multipart::new(futures_util::stream::iter(chunks), "B")
        };
        let file = b"timestamp,user_id,ip_address\n2026-01-01T00:00:00Z,a,192.0.2.1\n";
        let upload = read_upload(body(file), 1000, dir.path()).await.unwrap();
        assert_eq!(upload.field("format"), "csv");
        assert_eq!(upload.file_name, "log.csv");
        let mut read = Vec::new();
        upload.content.reader().read_to_end(&mut read).unwrap();
        assert_eq!(read, file);
        assert_eq!(upload.content.digest(), engine::digest::fnv1a64(file));
        let refused = read_upload(body(file), 10, dir.path()).await;
        assert!(matches!(refused, Err(UploadError::TooLarge { limit: 10 })));
        // Nothing is left behind in the directory: the files are unnamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
