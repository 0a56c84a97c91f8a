//! The sequence tagger: an averaged structured perceptron (Collins, EMNLP 2002) over BILOU labels
//! with first-order label transitions, decoded exactly by Viterbi.
//!
//! Why this model: it is the fastest statistical tagger that still reaches CoNLL-quality F1 with
//! hand-made features — one hash look-up per feature and a 17 × 17 transition step per token, no
//! floating-point matrix work — and every decision decomposes into named feature weights, so a
//! tag can be explained. BILOU (rather than BIO) lets the weights tell single-token names from
//! the first and last tokens of longer ones, which is worth about a point of F1 on CoNLL
//! (Ratinov & Roth 2009). Transitions that BILOU forbids (`O` → `I-PER`) are impossible in the
//! decoder, so every output is a well-formed span sequence.
//!
//! The trained model is a compact binary (`models/ner.bin`, made by `news-enricher train ner`):
//! weights quantised to 16 bits, features with a negligible weight pruned.

/// Entity types the tagger labels. `Misc` is CoNLL's catch-all (nationalities, events, works);
/// the resolver keeps only its nationalities, as NORP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// People.
    Per,
    /// Organisations.
    Org,
    /// Places.
    Loc,
    /// Everything else CoNLL names.
    Misc,
}

impl Type {
    /// All types, in label order.
    pub const ALL: [Type; 4] = [Type::Per, Type::Org, Type::Loc, Type::Misc];

    /// CoNLL's spelling.
    pub fn conll(self) -> &'static str {
        match self {
            Type::Per => "PER",
            Type::Org => "ORG",
            Type::Loc => "LOC",
            Type::Misc => "MISC",
        }
    }

    /// Parses CoNLL's spelling.
    pub fn from_conll(s: &str) -> Option<Type> {
        Type::ALL.into_iter().find(|t| t.conll() == s)
    }
}

/// Number of labels: `O` and B/I/L/U of each type.
pub const LABELS: usize = 1 + 4 * 4;

/// Position part of a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Outside any entity.
    O,
    /// First token of a multi-token entity.
    B,
    /// Inside.
    I,
    /// Last token.
    L,
    /// Single-token entity.
    U,
}

/// Label index → (part, type).
pub fn decode_label(l: usize) -> (Part, Option<Type>) {
    if l == 0 {
        return (Part::O, None);
    }
    let t = Type::ALL[(l - 1) / 4];
    let p = [Part::B, Part::I, Part::L, Part::U][(l - 1) % 4];
    (p, Some(t))
}

/// (part, type) → label index.
pub fn encode_label(p: Part, t: Type) -> usize {
    let ti = Type::ALL.iter().position(|&x| x == t).unwrap_or(0);
    let pi = match p {
        Part::O => return 0,
        Part::B => 0,
        Part::I => 1,
        Part::L => 2,
        Part::U => 3,
    };
    1 + ti * 4 + pi
}

/// Whether label `b` may follow label `a` (`None` = sentence start).
fn allowed(a: Option<usize>, b: usize) -> bool {
    let (pb, tb) = decode_label(b);
    let (pa, ta) = a.map_or((Part::O, None), decode_label);
    match pa {
        Part::O | Part::L | Part::U => matches!(pb, Part::O | Part::B | Part::U),
        Part::B | Part::I => matches!(pb, Part::I | Part::L) && ta == tb,
    }
}

fn can_end(l: usize) -> bool {
    matches!(decode_label(l).0, Part::O | Part::L | Part::U)
}

/// Entity spans (token ranges) of a label sequence.
pub fn spans(labels: &[usize]) -> Vec<(usize, usize, Type)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Type)> = None;
    for (i, &l) in labels.iter().enumerate() {
        match decode_label(l) {
            (Part::U, Some(t)) => out.push((i, i + 1, t)),
            (Part::B, Some(t)) => open = Some((i, t)),
            (Part::L, Some(t)) => {
                if let Some((s, ot)) = open.take() {
                    if ot == t {
                        out.push((s, i + 1, t));
                    }
                }
            }
            (Part::I, _) => {}
            _ => open = None,
        }
    }
    out
}

/// Converts BIO tags (CoNLL) to BILOU labels.
pub fn bio_to_bilou(tags: &[Option<(bool, Type)>]) -> Vec<usize> {
    // (begins, type) per token; None = O.
    let mut out = vec![0; tags.len()];
    let mut i = 0;
    while i < tags.len() {
        let Some((_, t)) = tags[i] else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < tags.len() && matches!(tags[j], Some((false, tj)) if tj == t) {
            j += 1;
        }
        if j - i == 1 {
            out[i] = encode_label(Part::U, t);
        } else {
            out[i] = encode_label(Part::B, t);
            for o in &mut out[i + 1..j - 1] {
                *o = encode_label(Part::I, t);
            }
            out[j - 1] = encode_label(Part::L, t);
        }
        i = j;
    }
    out
}

type FeatureMap<V> = crate::prehashed::PrehashedMap<V>;

/// Weights while training: full precision, one row per feature.
#[derive(Debug, Clone)]
pub struct Weights {
    index: FeatureMap<u32>,
    rows: Vec<[f32; LABELS]>,
    /// `trans[a][b]`: score of label `b` after `a`; row `LABELS` is the sentence start.
    trans: Vec<[f32; LABELS]>,
}

/// The trained model as the worker uses it: weights quantised to 16 bits and stored in the
/// hash table itself, so scoring a feature costs one memory access, not two.
#[derive(Debug, Clone)]
pub struct Model {
    rows: FeatureMap<[i16; LABELS]>,
    trans: Vec<[f32; LABELS]>,
    /// Quantised weight = weight × scale.
    scale: f32,
    /// Hash of the bytes it was read from: what a cache of summed weights is keyed by.
    fingerprint: u64,
}

/// Why a model file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not a model file, or one of another version.
    #[error("not a news-enricher NER model (bad magic or version)")]
    BadHeader,
    /// The file ends early.
    #[error("model file truncated")]
    Truncated,
}

const MAGIC: &[u8; 8] = b"NENER\x00\x00\x01";

impl Weights {
    fn empty() -> Self {
        Weights {
            index: FeatureMap::default(),
            rows: Vec::new(),
            trans: vec![[0.0; LABELS]; LABELS + 1],
        }
    }

    /// Number of features with weights.
    pub fn features(&self) -> usize {
        self.rows.len()
    }

    fn emissions(&self, feats: &[u64], scores: &mut [f32; LABELS]) {
        *scores = [0.0; LABELS];
        for f in feats {
            if let Some(&row) = self.index.get(f) {
                for (s, w) in scores.iter_mut().zip(&self.rows[row as usize]) {
                    *s += w;
                }
            }
        }
    }

    /// Serialises the weights quantised to 16 bits, dropping |w| below `prune`.
    pub fn to_bytes(&self, prune: f32) -> Vec<u8> {
        let max = self
            .rows
            .iter()
            .flatten()
            .chain(self.trans.iter().flatten())
            .fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { 32767.0 / max } else { 1.0 };
        let q = |w: f32| (w * scale).round() as i16;
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&scale.to_le_bytes());
        for row in &self.trans {
            for &w in row {
                out.extend_from_slice(&q(w).to_le_bytes());
            }
        }
        let mut keys: Vec<(&u64, &u32)> = self.index.iter().collect();
        keys.sort_unstable();
        let kept: Vec<(u64, u32, Vec<i16>)> = keys
            .into_iter()
            .filter_map(|(&k, &row)| {
                let mut mask = 0u32;
                let mut vals = Vec::new();
                for (l, &x) in self.rows[row as usize].iter().enumerate() {
                    if x.abs() >= prune && q(x) != 0 {
                        mask |= 1 << l;
                        vals.push(q(x));
                    }
                }
                (mask != 0).then_some((k, mask, vals))
            })
            .collect();
        out.extend_from_slice(&(kept.len() as u32).to_le_bytes());
        for (k, mask, vals) in kept {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&mask.to_le_bytes());
            for v in vals {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }
}

impl Model {
    /// The bytes of a model with no weights: what training starts from.
    pub fn empty_bytes() -> Vec<u8> {
        Weights::empty().to_bytes(0.0)
    }

    /// Number of features with weights.
    pub fn features(&self) -> usize {
        self.rows.len()
    }

    /// Identifies the weights: equal for models read from the same bytes.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Sums the weights of `feats` into `scores`.
    pub fn emissions(&self, feats: &[u64], scores: &mut [f32; LABELS]) {
        let mut acc = [0i32; LABELS];
        self.accumulate(feats, &mut acc);
        *scores = self.scores(&acc);
    }

    /// Adds the quantised weights of `feats` to `acc`. Integer sums are exact and order-free,
    /// so a word's own features can be summed once and reused wherever the word recurs.
    pub fn accumulate(&self, feats: &[u64], acc: &mut [i32; LABELS]) {
        for f in feats {
            if let Some(row) = self.rows.get(f) {
                for (s, &w) in acc.iter_mut().zip(row) {
                    *s += i32::from(w);
                }
            }
        }
    }

    /// Emission scores of summed weights.
    pub fn scores(&self, acc: &[i32; LABELS]) -> [f32; LABELS] {
        acc.map(|a| a as f32 / self.scale)
    }

    /// Best label sequence for per-token emission scores.
    pub fn viterbi(&self, emissions: &[[f32; LABELS]]) -> Vec<usize> {
        viterbi(&self.trans, emissions)
    }

    /// Reads a model written by [`Weights::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(ModelError::BadHeader);
        }
        let scale = f32::from_le_bytes(r.array()?);
        let mut trans = vec![[0f32; LABELS]; LABELS + 1];
        for row in &mut trans {
            for w in row.iter_mut() {
                *w = f32::from(i16::from_le_bytes(r.array()?)) / scale;
            }
        }
        let n = u32::from_le_bytes(r.array()?) as usize;
        let mut rows = FeatureMap::default();
        rows.reserve(n);
        for _ in 0..n {
            let key = u64::from_le_bytes(r.array()?);
            let mask = u32::from_le_bytes(r.array()?);
            let mut w = [0i16; LABELS];
            for (l, x) in w.iter_mut().enumerate() {
                if mask & (1 << l) != 0 {
                    *x = i16::from_le_bytes(r.array()?);
                }
            }
            rows.insert(key, w);
        }
        Ok(Model {
            rows,
            trans,
            scale,
            fingerprint: xxhash_rust::xxh3::xxh3_64(bytes),
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or(ModelError::Truncated)?;
        self.at += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
}

fn viterbi(trans: &[[f32; LABELS]], em: &[[f32; LABELS]]) -> Vec<usize> {
    let n = em.len();
    if n == 0 {
        return Vec::new();
    }
    const NEG: f32 = f32::NEG_INFINITY;
    // Only the previous token's scores are needed going forward; the back pointers are kept.
    let mut score = [NEG; LABELS];
    let mut back = vec![[0u8; LABELS]; n];
    for l in 0..LABELS {
        if allowed(None, l) {
            score[l] = trans[LABELS][l] + em[0][l];
        }
    }
    for i in 1..n {
        let prev = score;
        for l in 0..LABELS {
            let mut best = NEG;
            let mut arg = 0u8;
            // Only BILOU-legal predecessors: 9 for O/B/U labels, 2 for I/L labels.
            for &p in predecessors(l) {
                let s = prev[p as usize] + trans[p as usize][l];
                if s > best {
                    best = s;
                    arg = p;
                }
            }
            score[l] = NEG;
            if best > NEG {
                score[l] = best + em[i][l];
                back[i][l] = arg;
            }
        }
    }
    let mut last = (0..LABELS)
        .filter(|&l| can_end(l))
        .max_by(|&a, &b| score[a].total_cmp(&score[b]))
        .unwrap_or(0);
    let mut out = vec![0; n];
    for i in (0..n).rev() {
        out[i] = last;
        last = back[i][last] as usize;
    }
    out
}

/// Legal predecessors of each label (from [`ALLOWED`]) and how many there are.
static PREDECESSOR_TABLE: ([[u8; LABELS]; LABELS], [usize; LABELS]) = {
    let mut list = [[0u8; LABELS]; LABELS];
    let mut len = [0usize; LABELS];
    let mut b = 0;
    while b < LABELS {
        let mut a = 0;
        while a < LABELS {
            if ALLOWED[a][b] {
                list[b][len[b]] = a as u8;
                len[b] += 1;
            }
            a += 1;
        }
        b += 1;
    }
    (list, len)
};

fn predecessors(l: usize) -> &'static [u8] {
    &PREDECESSOR_TABLE.0[l][..PREDECESSOR_TABLE.1[l]]
}

/// `ALLOWED[a][b]`: label `b` may follow label `a`.
static ALLOWED: [[bool; LABELS]; LABELS] = {
    let mut t = [[false; LABELS]; LABELS];
    let mut a = 0;
    while a < LABELS {
        let mut b = 0;
        while b < LABELS {
            // Same rules as `allowed`, in const form.
            let pa = if a == 0 { 0 } else { (a - 1) % 4 }; // 0 B,1 I,2 L,3 U (O → 0 too)
            let ta = if a == 0 { 99 } else { (a - 1) / 4 };
            let pb = if b == 0 { 9 } else { (b - 1) % 4 };
            let tb = if b == 0 { 98 } else { (b - 1) / 4 };
            let a_open = a != 0 && (pa == 0 || pa == 1);
            t[a][b] = if a_open {
                b != 0 && (pb == 1 || pb == 2) && ta == tb
            } else {
                b == 0 || pb == 0 || pb == 3
            };
            b += 1;
        }
        a += 1;
    }
    t
};

/// One training sentence: per-token feature hashes and gold labels.
pub struct Example {
    /// Feature hashes per token.
    pub features: Vec<Vec<u64>>,
    /// Gold BILOU labels.
    pub labels: Vec<usize>,
}

/// Averaged-perceptron trainer.
pub struct Trainer {
    model: Weights,
    /// Running sums for averaging: Σ c·Δ (Daumé's trick: average = w − u / c).
    acc: Vec<[f64; LABELS]>,
    trans_acc: Vec<[f64; LABELS]>,
    c: f64,
}

impl Default for Trainer {
    fn default() -> Self {
        Trainer {
            model: Weights::empty(),
            acc: Vec::new(),
            trans_acc: vec![[0.0; LABELS]; LABELS + 1],
            c: 1.0,
        }
    }
}

impl Trainer {
    /// One pass over `examples` in the given order. Returns the number of token errors.
    pub fn epoch(&mut self, examples: &[Example], order: &[usize]) -> usize {
        let mut errors = 0;
        let mut em = Vec::new();
        for &e in order {
            let ex = &examples[e];
            em.clear();
            for f in &ex.features {
                let mut s = [0f32; LABELS];
                self.model.emissions(f, &mut s);
                em.push(s);
            }
            let pred = viterbi(&self.model.trans, &em);
            if pred != ex.labels {
                for i in 0..pred.len() {
                    let (g, p) = (ex.labels[i], pred[i]);
                    let gp = if i == 0 { LABELS } else { ex.labels[i - 1] };
                    let pp = if i == 0 { LABELS } else { pred[i - 1] };
                    if g != p || gp != pp {
                        self.update_trans(gp, g, 1.0);
                        self.update_trans(pp, p, -1.0);
                    }
                    if g != p {
                        errors += 1;
                        for &f in &ex.features[i] {
                            self.update(f, g, 1.0);
                            self.update(f, p, -1.0);
                        }
                    }
                }
            }
            self.c += 1.0;
        }
        errors
    }

    fn update(&mut self, f: u64, l: usize, d: f32) {
        let next = self.model.rows.len() as u32;
        let row = *self.model.index.entry(f).or_insert(next) as usize;
        if row == self.model.rows.len() {
            self.model.rows.push([0.0; LABELS]);
            self.acc.push([0.0; LABELS]);
        }
        self.model.rows[row][l] += d;
        self.acc[row][l] += self.c * f64::from(d);
    }

    fn update_trans(&mut self, a: usize, b: usize, d: f32) {
        self.model.trans[a][b] += d;
        self.trans_acc[a][b] += self.c * f64::from(d);
    }

    /// The averaged weights.
    pub fn averaged(&self) -> Weights {
        let mut m = self.model.clone();
        for (w, a) in m.rows.iter_mut().zip(&self.acc) {
            for (w, a) in w.iter_mut().zip(a) {
                *w -= (*a / self.c) as f32;
            }
        }
        for (w, a) in m.trans.iter_mut().zip(&self.trans_acc) {
            for (w, a) in w.iter_mut().zip(a) {
                *w -= (*a / self.c) as f32;
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_table_matches_the_rules() {
        for (a, row) in ALLOWED.iter().enumerate() {
            for (b, &ok) in row.iter().enumerate() {
                assert_eq!(ok, allowed(Some(a), b), "{a} → {b}");
            }
        }
    }

    #[test]
    fn bio_converts_to_bilou_and_back_to_spans() {
        use Type::*;
        let bio = [
            Some((true, Per)),
            Some((false, Per)),
            None,
            Some((true, Loc)),
            Some((true, Org)),
            Some((false, Org)),
            Some((false, Org)),
        ];
        let l = bio_to_bilou(&bio);
        assert_eq!(spans(&l), vec![(0, 2, Per), (3, 4, Loc), (4, 7, Org)]);
    }

    #[test]
    fn quantised_model_round_trips() {
        let mut t = Trainer::default();
        let ex = vec![Example {
            features: vec![vec![1, 2], vec![3]],
            labels: vec![encode_label(Part::U, Type::Per), 0],
        }];
        for _ in 0..3 {
            t.epoch(&ex, &[0]);
        }
        let m = t.averaged();
        let back = Model::from_bytes(&m.to_bytes(0.0)).unwrap();
        assert!(Model::from_bytes(&m.to_bytes(0.0)[..20]).is_err());
        assert_eq!(back.features(), m.features());
        let em: Vec<[f32; LABELS]> = ex[0]
            .features
            .iter()
            .map(|f| {
                let mut s = [0.0; LABELS];
                back.emissions(f, &mut s);
                s
            })
            .collect();
        assert_eq!(back.viterbi(&em), ex[0].labels);
    }
}
