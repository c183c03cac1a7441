//! `data:` URIs, the one place they are parsed. A payload is checked and measured in
//! fixed-size chunks, and an image's header is read through a reader that decodes only the
//! bytes asked for, so a 30 MB inline image is never decoded whole just to learn its size.
//! The verdicts are those of decoding the whole payload with base64's standard engine and
//! reading it with `imagesize::blob_size` (the fuzz test below holds them to it).

use std::io::{self, BufRead, Read, Seek, SeekFrom};

use base64::{engine::general_purpose::STANDARD, Engine};
use imagesize::ImageType;

/// Base64 characters decoded at a time (a multiple of 4, so chunks split between quanta).
const CHUNK_CHARS: usize = 4096;
const CHUNK_BYTES: usize = CHUNK_CHARS / 4 * 3;

/// The base64 payload of a `data:<type>;base64,<payload>` URI.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DataUri<'a> {
    /// What the URI says it holds (`image/png`), parameters included; may be empty.
    pub media_type: &'a str,
    payload: &'a [u8],
}

/// What an inline image's header says, as `imagesize` reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct InlineImage {
    /// Decoded bytes.
    pub len: usize,
    /// `None` when `imagesize` cannot read the size.
    pub size: Option<(usize, usize)>,
    pub kind: Option<ImageType>,
}

/// Whether `text` is inline media: it starts with `data:`, in any case.
pub(crate) fn is_inline(text: &str) -> bool {
    text.get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:"))
}

impl<'a> DataUri<'a> {
    /// The payload of `text` when it is a base64 `data:` URI (surrounding white space ignored).
    /// The scheme and the `;base64` marker are read in any case, as RFC 2397 allows; the
    /// header ends at the first comma.
    pub fn parse(text: &'a str) -> Option<Self> {
        if !is_inline(text) {
            return None;
        }
        let (header, payload) = text[5..].split_once(',')?;
        let at = header.len().checked_sub(";base64".len())?;
        let marker = header.get(at..)?;
        marker.eq_ignore_ascii_case(";base64").then_some(DataUri {
            media_type: &header[..at],
            payload: payload.trim().as_bytes(),
        })
    }

    /// The media type named, without parameters, in lower case (`image/png`); may be empty.
    pub fn essence(&self) -> String {
        let essence = self.media_type.split(';').next().unwrap_or_default();
        essence.trim().to_ascii_lowercase()
    }

    /// Whether the payload holds nothing.
    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }

    /// Up to the first `n` decoded bytes, if the payload is valid; decodes only those.
    pub fn head(&self, n: usize) -> Option<Vec<u8>> {
        let len = self.decoded_len()?;
        let mut head = Vec::with_capacity(n.min(len));
        self.reader(len)
            .take(n as u64)
            .read_to_end(&mut head)
            .ok()?;
        Some(head)
    }

    /// The decoded length, if the payload is valid (padded, standard alphabet); nothing is
    /// kept but a chunk's worth at a time.
    pub fn decoded_len(&self) -> Option<usize> {
        let mut out = [0u8; CHUNK_BYTES];
        let mut total = 0;
        let mut chunks = self.payload.chunks(CHUNK_CHARS).peekable();
        while let Some(chunk) = chunks.next() {
            // Padding is allowed only at the very end; a chunk decoded alone would accept it.
            if chunks.peek().is_some() && chunk.contains(&b'=') {
                return None;
            }
            total += STANDARD.decode_slice(chunk, &mut out).ok()?;
        }
        Some(total)
    }

    /// The whole decoded payload, if valid.
    pub fn decode(&self) -> Option<Vec<u8>> {
        STANDARD.decode(self.payload).ok()
    }

    /// The image header's verdicts, if the payload is valid; decodes only what is read.
    pub fn image(&self) -> Option<InlineImage> {
        let len = self.decoded_len()?;
        let mut reader = self.reader(len);
        let size = imagesize::reader_size(&mut reader).ok();
        let kind = reader
            .seek(SeekFrom::Start(0))
            .ok()
            .and_then(|_| imagesize::reader_type(&mut reader).ok());
        Some(InlineImage {
            len,
            size: size.map(|s| (s.width, s.height)),
            kind,
        })
    }

    /// A reader of the decoded bytes that behaves as a `Cursor` over them would (no short
    /// reads before the end). Only for a payload `decoded_len` accepted, of length `len`.
    fn reader(&self, len: usize) -> Decoded<'a> {
        Decoded {
            payload: self.payload,
            len: len as u64,
            pos: 0,
            chunk: [0; CHUNK_BYTES],
            chunk_start: 0,
            chunk_len: 0,
        }
    }
}

/// Random access into a valid payload: the chunk holding the position is decoded when read.
struct Decoded<'a> {
    payload: &'a [u8],
    len: u64,
    pos: u64,
    /// The last chunk decoded: bytes `chunk_start..chunk_start + chunk_len` of the payload.
    chunk: [u8; CHUNK_BYTES],
    chunk_start: u64,
    chunk_len: usize,
}

impl BufRead for Decoded<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.len {
            return Ok(&[]);
        }
        let in_chunk =
            self.pos >= self.chunk_start && self.pos < self.chunk_start + self.chunk_len as u64;
        if !in_chunk {
            // Chunks start on whole quanta: 4 characters hold 3 bytes.
            let first = (self.pos / CHUNK_BYTES as u64) as usize;
            let start = first * CHUNK_CHARS;
            let end = (start + CHUNK_CHARS).min(self.payload.len());
            self.chunk_len = STANDARD
                .decode_slice(&self.payload[start..end], &mut self.chunk)
                .map_err(io::Error::other)?;
            self.chunk_start = (first * CHUNK_BYTES) as u64;
        }
        let skip = (self.pos - self.chunk_start) as usize;
        Ok(&self.chunk[skip..self.chunk_len])
    }

    fn consume(&mut self, amount: usize) {
        self.pos += amount as u64;
    }
}

impl Read for Decoded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let available = self.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let n = available.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&available[..n]);
            self.consume(n);
            done += n;
        }
        Ok(done)
    }
}

impl Seek for Decoded<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (base, offset) = match to {
            SeekFrom::Start(at) => {
                self.pos = at;
                return Ok(at);
            }
            SeekFrom::End(offset) => (self.len, offset),
            SeekFrom::Current(offset) => (self.pos, offset),
        };
        match base.checked_add_signed(offset) {
            Some(at) => {
                self.pos = at;
                Ok(at)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::test_images::png_header;

    fn uri(bytes: &[u8]) -> String {
        format!("data:image/png;base64,{}", STANDARD.encode(bytes))
    }

    /// A JPEG whose size marker comes after `padding` bytes of APP segments.
    fn jpeg_header(width: u16, height: u16, padding: usize) -> Vec<u8> {
        let mut jpeg = vec![0xff, 0xd8];
        let mut left = padding;
        while left > 0 {
            let take = left.min(60_000);
            jpeg.extend_from_slice(&[0xff, 0xe1]);
            jpeg.extend_from_slice(&((take + 2) as u16).to_be_bytes());
            jpeg.extend(std::iter::repeat_n(0x41, take));
            left -= take;
        }
        jpeg.extend_from_slice(&[0xff, 0xc0, 0, 17, 8]);
        jpeg.extend_from_slice(&height.to_be_bytes());
        jpeg.extend_from_slice(&width.to_be_bytes());
        jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        jpeg.extend_from_slice(&[0xff, 0xd9]);
        jpeg
    }

    /// What decoding the whole payload and `imagesize::blob_size` say: the verdicts to keep.
    fn whole(text: &str) -> Option<InlineImage> {
        let (_, payload) = text.strip_prefix("data:")?.split_once(";base64,")?;
        let bytes = STANDARD.decode(payload.trim()).ok()?;
        Some(InlineImage {
            len: bytes.len(),
            size: imagesize::blob_size(&bytes)
                .ok()
                .map(|s| (s.width, s.height)),
            kind: imagesize::image_type(&bytes).ok(),
        })
    }

    fn chunked(text: &str) -> Option<InlineImage> {
        DataUri::parse(text)?.image()
    }

    #[test]
    fn headers_are_read_without_decoding_the_rest() {
        let mut png = png_header(1, 100_000_000);
        png.resize(3 * 1024 * 1024, 7);
        let text = uri(&png);
        let image = chunked(&text).unwrap();
        assert_eq!(image.size, Some((1, 100_000_000)));
        assert_eq!(image.kind, Some(ImageType::Png));
        assert_eq!(image.len, 3 * 1024 * 1024);
        assert_eq!(Some(image), whole(&text));
    }

    #[test]
    fn a_jpeg_whose_size_comes_late_is_still_read() {
        // The size marker sits past 200 KB of metadata: a bounded prefix would miss it.
        let text = uri(&jpeg_header(1200, 800, 200_000));
        assert_eq!(chunked(&text).unwrap().size, Some((1200, 800)));
        assert_eq!(chunked(&text), whole(&text));
    }

    #[test]
    fn invalid_payloads_are_refused_as_the_whole_decode_refuses_them() {
        let good = STANDARD.encode(vec![5u8; 10_000]);
        let cases = [
            format!("data:image/png;base64,{good}"),
            format!("data:image/png;base64,  {good}\n"),
            format!("data:image/png;base64,{}", &good[..good.len() - 1]),
            // Padding in the middle of a long payload, at a chunk's end.
            format!(
                "data:;base64,{}AA=={}",
                &good[..CHUNK_CHARS - 4],
                &good[..400]
            ),
            format!("data:;base64,{}A{}", &good[..5000], &good[5000..]),
            format!("data:;base64,{}*", &good[..400]),
            "data:;base64,".to_string(),
            "data:;base64,QQ=".to_string(),
            "data:;base64,QR==".to_string(),
            "data:image/png,abc".to_string(),
            "https://example.test/x.png".to_string(),
        ];
        for text in cases {
            assert_eq!(chunked(&text), whole(&text), "{text:.60}");
            assert_eq!(
                DataUri::parse(&text).and_then(|u| u.decoded_len()),
                whole(&text).map(|w| w.len)
            );
        }
    }

    #[test]
    fn the_reader_reads_and_seeks_like_a_cursor() {
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let text = uri(&bytes);
        let parsed = DataUri::parse(&text).unwrap();
        let mut reader = parsed.reader(parsed.decoded_len().unwrap());
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all, bytes);
        let mut cursor = io::Cursor::new(&bytes);
        for to in [
            SeekFrom::Start(4097),
            SeekFrom::Current(-5),
            SeekFrom::End(-1),
            SeekFrom::End(10),
            SeekFrom::Start(3),
        ] {
            assert_eq!(reader.seek(to).unwrap(), cursor.seek(to).unwrap());
            let (mut a, mut b) = ([0u8; 9], [0u8; 9]);
            assert_eq!(reader.read(&mut a).unwrap(), cursor.read(&mut b).unwrap());
            assert_eq!(a, b);
        }
        assert!(reader.seek(SeekFrom::Current(-100)).is_err());
    }

    #[test]
    fn fuzz_data_uri_reader() {
        use proptest::prelude::*;
        use proptest::test_runner::TestRunner;
        let images = prop_oneof![
            (any::<u32>(), any::<u32>()).prop_map(|(w, h)| png_header(w, h)),
            (any::<u16>(), any::<u16>(), 0usize..6000).prop_map(|(w, h, p)| jpeg_header(w, h, p)),
            prop::collection::vec(any::<u8>(), 0..64),
        ];
        // Valid URIs, then one character or the end changed: alphabet, padding, junk.
        let alphabet = prop::sample::select(b"AQgw+/=* \n\xc3".to_vec());
        let input = (images, any::<prop::sample::Index>(), alphabet, 0u8..4);
        let mut runner = TestRunner::new(proptest::test_runner::Config {
            failure_persistence: None,
            ..Default::default()
        });
        let cases = runner.config().cases;
        runner
            .run(&input, |(image, at, byte, how)| {
                let mut text = uri(&image).into_bytes();
                let at = 22 + at.index(text.len() - 21);
                match how {
                    0 => {}
                    1 if at < text.len() => text[at] = byte,
                    2 => text.insert(at.min(text.len()), byte),
                    _ => text.truncate(at),
                }
                let text = String::from_utf8_lossy(&text);
                prop_assert_eq!(chunked(&text), whole(&text));
                Ok(())
            })
            .unwrap();
        println!("fuzz data_uri_reader: {cases} cases, no crash");
    }
}
