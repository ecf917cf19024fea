//! A prefilter for searching stored records without decoding them: a record's key, value
//! and headers sit in its stored bytes verbatim (protobuf `bytes` fields), so a record
//! can only match when its stored bytes hold one of the literals every match must start
//! (or end) with. Those literals come from the pattern's syntax tree (`regex-syntax`'s
//! extractor, case variants included); the stored bytes of a whole chunk of records are
//! searched for them at once (`memchr::memmem` for one literal, the `regex` crate's
//! multi-literal search for several), and only the records holding a hit are decoded
//! and checked with the real [`super::Matcher`].
//!
//! Without a useful literal, a pattern without look-around (`^`, `$`, `\b`) is run on
//! each record's stored bytes as a whole (a match inside a field is a match inside the
//! record), which still saves decoding the records that cannot match; anything else
//! decodes every record.

use std::ops::Range;

use memchr::memmem;
use regex::bytes::Regex;
use regex_syntax::hir::Hir;
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};

/// Literals shorter than this hit too often to beat running the pattern per record.
const GOOD_LITERAL: usize = 3;

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Prefilter {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Every match holds this literal.
    One(Box<memmem::Finder<'static>>),
    /// Every match holds one of these literals (an alternation of them).
    Many(Regex),
    /// The pattern itself, run on a record's stored bytes.
    Body(Regex),
    /// Nothing to test: every record is a candidate.
    All,
}

impl Prefilter {
    /// The prefilter of pattern `src` (as compiled into `re`, with `insensitive` case).
    pub(super) fn new(src: &str, insensitive: bool, re: &Regex) -> Prefilter {
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(insensitive)
            .utf8(false)
            .build()
            .parse(src);
        let Ok(hir) = hir else {
            return Prefilter { kind: Kind::All };
        };
        let lits = best_literals(&hir);
        let shortest = lits
            .as_ref()
            .map_or(0, |l| l.iter().map(Vec::len).min().unwrap_or(0));
        let no_looks = hir.properties().look_set().is_empty();
        let kind = match lits {
            Some(l) if shortest >= GOOD_LITERAL => literal_kind(l),
            _ if no_looks => Kind::Body(re.clone()),
            Some(l) if shortest >= 1 => literal_kind(l),
            _ => Kind::All,
        };
        Prefilter { kind }
    }

    /// What it does, for benchmarks and logs: `literal`, `literals`, `pattern` or `none`.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::One(_) => "literal",
            Kind::Many(_) => "literals",
            Kind::Body(_) => "pattern",
            Kind::All => "none",
        }
    }

    /// Whether a record whose stored bytes are `stored` may match.
    pub fn may_match(&self, stored: &[u8]) -> bool {
        match &self.kind {
            Kind::One(f) => f.find(stored).is_some(),
            Kind::Many(re) | Kind::Body(re) => re.is_match(stored),
            Kind::All => true,
        }
    }

    /// Pushes onto `out` the indexes of the records that may match: `records` are the
    /// spans of consecutive records' stored bytes in `hay`, in order. One search over the
    /// whole span for literal prefilters; a record is a candidate when a hit overlaps it
    /// (a hit that starts in the framing before a record and runs into it hides nothing).
    pub fn candidates(&self, hay: &[u8], records: &[Range<usize>], out: &mut Vec<usize>) {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return;
        };
        let base = first.start;
        let region = &hay[base..last.end];
        let mut next = 0usize;
        let mut mark = |s: usize, e: usize, out: &mut Vec<usize>| {
            let (s, e) = (s + base, (e + base).max(s + base + 1));
            // Skip the records that end before the hit, then take those it overlaps.
            while next < records.len() && records[next].end <= s {
                next += 1;
            }
            let mut i = next;
            while i < records.len() && records[i].start < e {
                if out.last() != Some(&i) {
                    out.push(i);
                }
                i += 1;
            }
        };
        match &self.kind {
            Kind::One(f) => {
                let n = f.needle().len();
                for s in f.find_iter(region) {
                    mark(s, s + n, out);
                }
            }
            Kind::Many(re) => {
                for m in re.find_iter(region) {
                    mark(m.start(), m.end(), out);
                }
            }
            Kind::Body(_) | Kind::All => {
                out.extend((0..records.len()).filter(|&i| self.may_match(&hay[records[i].clone()])))
            }
        }
    }
}

/// The literals every match starts with (or, when that set is unbounded or weaker, ends
/// with); `None` when neither is a finite set.
fn best_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let prefix = finite(Extractor::new().kind(ExtractKind::Prefix).extract(hir));
    let suffix = finite(Extractor::new().kind(ExtractKind::Suffix).extract(hir));
    let score = |l: &Vec<Vec<u8>>| l.iter().map(Vec::len).min().unwrap_or(0);
    match (prefix, suffix) {
        (Some(p), Some(s)) if score(&s) > score(&p) => Some(s),
        (Some(p), _) => Some(p),
        (None, s) => s,
    }
}

fn finite(seq: Seq) -> Option<Vec<Vec<u8>>> {
    let lits = seq.literals()?;
    if lits.is_empty() {
        // A pattern that can match nothing: let the pattern itself say so.
        return None;
    }
    let mut out: Vec<Vec<u8>> = lits.iter().map(|l| l.as_bytes().to_vec()).collect();
    out.sort();
    out.dedup();
    Some(out)
}

fn literal_kind(mut lits: Vec<Vec<u8>>) -> Kind {
    if lits.len() == 1 {
        let finder = memmem::Finder::new(&lits.pop().unwrap_or_default()).into_owned();
        return Kind::One(Box::new(finder));
    }
    let alternation: Vec<String> = lits
        .iter()
        .map(|l| l.iter().map(|b| format!("\\x{b:02x}")).collect())
        .collect();
    match Regex::new(&format!("(?-u:{})", alternation.join("|"))) {
        Ok(re) => Kind::Many(re),
        Err(_) => Kind::All,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Case, Matcher, Syntax};
    use std::ops::Range;

    fn pf(p: &str, case: Case) -> super::Prefilter {
        Matcher::new(p, Syntax::Regex, case).unwrap().prefilter()
    }

    #[test]
    fn picks_literals_then_the_pattern_then_nothing() {
        assert_eq!(pf("needle", Case::Sensitive).describe(), "literal");
        assert_eq!(pf("ord-(88|99)12", Case::Sensitive).describe(), "literals");
        assert_eq!(pf("needle", Case::Insensitive).describe(), "literals");
        // `.*x` has no finite prefix set; its suffix `x` is too short, no look-around.
        assert_eq!(pf(".*x", Case::Sensitive).describe(), "pattern");
        assert_eq!(pf(r"^\w+$", Case::Sensitive).describe(), "none");
        assert_eq!(pf(r"^ord-\d+$", Case::Sensitive).describe(), "literal");
    }

    fn spans(hay: &[u8], every: usize) -> Vec<Range<usize>> {
        (0..hay.len().div_ceil(every))
            .map(|i| i * every..((i + 1) * every).min(hay.len()))
            .collect()
    }

    #[test]
    fn candidates_cover_every_record_holding_a_literal() {
        // Records of 8 bytes; the needle sits in records 1, 2 (across their boundary) and 5.
        let hay = b"aaaaaaaaxxxxxxneedlexxxxxxxxaaaaaaaaaaaaneedle__";
        let recs = spans(hay, 8);
        for p in ["needle", "need(le|xx)", "(?i)NEEDLE"] {
            let mut out = Vec::new();
            pf(p, Case::Sensitive).candidates(hay, &recs, &mut out);
            assert_eq!(out, vec![1, 2, 5], "{p}");
        }
        // The pattern prefilter tests records one by one.
        let mut out = Vec::new();
        let body = pf(".*e", Case::Sensitive);
        assert_eq!(body.describe(), "pattern");
        body.candidates(hay, &recs, &mut out);
        assert_eq!(out, vec![1, 2, 5]);
        // Overlapping occurrences: the hit at 1 hides the one at 2; both records marked.
        let mut out = Vec::new();
        pf("aaa", Case::Sensitive).candidates(b"xaaaa", &[0..2, 2..5], &mut out);
        assert_eq!(out, vec![0, 1]);
    }

    #[test]
    fn a_candidate_is_never_missed() {
        // Every record that truly holds a match is a candidate, for assorted patterns.
        let values: Vec<&[u8]> = vec![
            b"order 8812 paid",
            b"\xff\x00bin needle \xfe",
            b"NEEDLE upper",
            b"nothing here",
            b"ord-9",
        ];
        let mut hay = Vec::new();
        let mut recs = Vec::new();
        for v in &values {
            let s = hay.len();
            hay.extend_from_slice(b"\x00\x00\x00\x10\x08\x01");
            hay.extend_from_slice(v);
            recs.push(s..hay.len());
        }
        for (p, case) in [
            ("8812", Case::Sensitive),
            ("needle", Case::Insensitive),
            ("needle", Case::Sensitive),
            ("ord-\\d$", Case::Sensitive),
            ("(?-u:\\xff)", Case::Sensitive),
            ("e{2}", Case::Sensitive),
        ] {
            let m = Matcher::new(p, Syntax::Regex, case).unwrap();
            let mut out = Vec::new();
            m.prefilter().candidates(&hay, &recs, &mut out);
            for (i, v) in values.iter().enumerate() {
                if m.is_match(v) {
                    assert!(out.contains(&i), "{p}: record {i} missed ({out:?})");
                }
            }
        }
    }
}
