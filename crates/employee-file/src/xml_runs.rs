//! The longest stretch of a workbook's XML without markup, bounded while it is read.
//!
//! An XML reader holds one event at a time, but a whole event: a cell text or a tag of
//! 250 MB (a few MB packed, under the zip guard's ratio) is 250 MB in the reader's buffer
//! and as much again in the value made of it, before any budget can count it. The
//! pre-scans read every part of a workbook through [`Runs`] before calamine opens it,
//! which refuses a part once it runs [`MAX_RUN`] bytes without a `<` or `>`. Must never
//! buffer: it only counts.

use crate::{Format, ReadError};
use std::io::{self, Read};

/// Far beyond any cell (Excel allows 32,767 characters, at most 4 bytes each).
pub(crate) const MAX_RUN: u64 = 1 << 20;

/// The error a [`Runs`] reader gives; see [`too_long`].
#[derive(Debug)]
struct RunTooLong;

impl std::fmt::Display for RunTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a text or tag longer than {MAX_RUN} bytes")
    }
}

impl std::error::Error for RunTooLong {}

/// Reads `inner`, failing with [`RunTooLong`] once it runs over [`MAX_RUN`] bytes
/// without markup.
pub(crate) struct Runs<R> {
    inner: R,
    run: u64,
}

impl<R: Read> Runs<R> {
    pub(crate) fn new(inner: R) -> Self {
        Runs { inner, run: 0 }
    }
}

impl<R: Read> Read for Runs<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // The run goes on from the last read up to the first markup, then from each
        // markup to the next; what follows the last markup goes on into the next read.
        let mut start = 0;
        for at in memchr::memchr2_iter(b'<', b'>', &buf[..n]) {
            self.run += (at - start) as u64;
            if self.run > MAX_RUN {
                return Err(io::Error::other(RunTooLong));
            }
            self.run = 0;
            start = at + 1;
        }
        self.run += (n - start) as u64;
        if self.run > MAX_RUN {
            return Err(io::Error::other(RunTooLong));
        }
        Ok(n)
    }
}

/// The error to give when `e` (from reading through [`Runs`]) is a run too long.
pub(crate) fn too_long(e: &io::Error, format: Format) -> Option<ReadError> {
    e.get_ref()?.downcast_ref::<RunTooLong>()?;
    Some(ReadError::Corrupt {
        format,
        detail: format!(
            "one of its texts or tags is longer than {MAX_RUN} bytes, where a cell holds at \
             most 32,767 characters"
        ),
    })
}

/// Reads `part` to its end through [`Runs`], keeping nothing.
pub(crate) fn scan(part: impl Read, format: Format) -> Result<(), ReadError> {
    io::copy(&mut Runs::new(part), &mut io::sink())
        .map(|_| ())
        .map_err(|e| {
            too_long(&e, format).unwrap_or_else(|| ReadError::Corrupt {
                format,
                detail: format!("its zip archive is damaged: {e}"),
            })
        })
}

/// The error for a quick-xml error met reading through [`Runs`]: the run too long, or
/// XML that is not well-formed.
pub(crate) fn xml_error(e: &quick_xml::Error, format: Format) -> ReadError {
    if let quick_xml::Error::Io(io) = e
        && let Some(err) = too_long(io, format)
    {
        return err;
    }
    ReadError::Corrupt {
        format,
        detail: format!("its content is not well-formed XML: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8], chunk: usize) -> io::Result<u64> {
        // Small chunks: runs cross the reads.
        let mut reader = Runs::new(bytes);
        let mut buf = vec![0; chunk];
        let mut total = 0;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
        }
    }

    #[test]
    fn runs_across_reads_are_counted_whole() {
        let limit = usize::try_from(MAX_RUN).unwrap();
        let mut ok = b"<a>".to_vec();
        ok.extend(std::iter::repeat_n(b'x', limit));
        ok.extend(b"</a>");
        assert!(run(&ok, 7).is_ok());
        let mut long = b"<a>".to_vec();
        long.extend(std::iter::repeat_n(b'x', limit + 1));
        long.extend(b"</a>");
        let err = run(&long, 7).unwrap_err();
        assert!(matches!(
            too_long(&err, Format::Xlsx),
            Some(ReadError::Corrupt { .. })
        ));
        // A tag counts like a text.
        let mut tag = b"<a b=\"".to_vec();
        tag.extend(std::iter::repeat_n(b'y', limit + 1));
        assert!(run(&tag, 8192).is_err());
    }
}
