//! Multinomial logistic regression over hashed features: the arithmetic the polarity model
//! (NewsMTSC, three polarities) and the verdict model (annotated articles, four verdicts)
//! share. Each model names its own classes and features; this module only scores, fits and
//! stores weights.

use crate::prehashed::PrehashedMap;

/// Hash of a feature named by its parts (joined by a unit separator, so `["ab", "c"]` and
/// `["a", "bc"]` differ).
pub fn feature(parts: &[&[u8]]) -> u64 {
    // Scored for every candidate pair: names fit on the stack, longer ones take the heap.
    let len = parts.iter().map(|p| p.len() + 1).sum::<usize>();
    let mut stack = [0u8; 128];
    let mut heap = Vec::new();
    let buf: &mut [u8] = if len <= stack.len() {
        &mut stack
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    let mut at = 0;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            buf[at] = 0x1f;
            at += 1;
        }
        buf[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
    xxhash_rust::xxh3::xxh3_64(&buf[..at])
}

/// One active feature: its hash and, for explanations, which token it reads (if one).
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// Hash of the feature's name.
    pub hash: u64,
    /// The token whose word the feature is, when it is a word feature.
    pub token: Option<usize>,
}

/// What a model reads in a set of features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Read {
    /// The most probable class.
    pub class: usize,
    /// Its probability.
    pub probability: f32,
    /// The token of the word feature that pulled hardest toward it against the runner-up, if
    /// a word feature did: the word that explains the reading.
    pub decisive: Option<usize>,
}

/// Fitted weights of an `N`-class model.
#[derive(Debug, Clone)]
pub struct Weights<const N: usize> {
    weights: PrehashedMap<[f32; N]>,
}

impl<const N: usize> Default for Weights<N> {
    fn default() -> Self {
        Weights {
            weights: PrehashedMap::default(),
        }
    }
}

/// Why a model file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not a news-enricher stance model, or truncated")]
pub struct ModelError;

impl<const N: usize> Weights<N> {
    /// The weights of feature `f`, if it has any.
    pub fn get(&self, f: u64) -> Option<&[f32; N]> {
        self.weights.get(&f)
    }

    /// Class probabilities for active features `feats`.
    pub fn probabilities(&self, feats: impl IntoIterator<Item = u64>) -> [f32; N] {
        let mut z = [0f32; N];
        for f in feats {
            if let Some(w) = self.weights.get(&f) {
                for (z, w) in z.iter_mut().zip(w) {
                    *z += w;
                }
            }
        }
        softmax(z)
    }

    /// The most probable class for `feats`, with the word that explains it among the tokens
    /// `explains` accepts.
    pub fn read(&self, feats: &[Feature], explains: impl Fn(usize) -> bool) -> Read {
        let p = self.probabilities(feats.iter().map(|f| f.hash));
        let best = (0..N).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
        let runner = (0..N)
            .filter(|&c| c != best)
            .max_by(|&a, &b| p[a].total_cmp(&p[b]))
            .unwrap_or(0);
        let decisive = feats
            .iter()
            .filter_map(|f| {
                let t = f.token?;
                let w = self.weights.get(&f.hash)?;
                explains(t).then(|| (t, w[best] - w[runner]))
            })
            .filter(|&(_, m)| m > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, _)| t);
        Read {
            class: best,
            probability: p[best],
            decisive,
        }
    }

    /// Serialises the weights after `magic` (f32, features sorted by hash; weights below
    /// `prune` dropped).
    pub fn to_bytes(&self, magic: &[u8; 8], prune: f32) -> Vec<u8> {
        let mut keys: Vec<(&u64, &[f32; N])> = self
            .weights
            .iter()
            .filter(|(_, w)| w.iter().any(|x| x.abs() >= prune))
            .collect();
        keys.sort_unstable_by_key(|(k, _)| **k);
        let mut out = Vec::with_capacity(12 + keys.len() * (8 + 4 * N));
        out.extend_from_slice(magic);
        out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
        for (k, w) in keys {
            out.extend_from_slice(&k.to_le_bytes());
            for x in w {
                // f16 would do, but the files are small; keep exact weights.
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// Reads [`Weights::to_bytes`] output written with `magic`.
    pub fn from_bytes(magic: &[u8; 8], b: &[u8]) -> Result<Self, ModelError> {
        if b.len() < 12 || &b[..8] != magic {
            return Err(ModelError);
        }
        let n = u32::from_le_bytes(b[8..12].try_into().map_err(|_| ModelError)?) as usize;
        let body = &b[12..];
        let record = 8 + 4 * N;
        if body.len() != n * record {
            return Err(ModelError);
        }
        let mut weights = PrehashedMap::default();
        weights.reserve(n);
        for rec in body.chunks_exact(record) {
            let k = u64::from_le_bytes(rec[..8].try_into().map_err(|_| ModelError)?);
            let mut w = [0f32; N];
            for (c, x) in w.iter_mut().enumerate() {
                let o = 8 + c * 4;
                *x = f32::from_le_bytes(rec[o..o + 4].try_into().map_err(|_| ModelError)?);
            }
            weights.insert(k, w);
        }
        Ok(Weights { weights })
    }

    /// Number of features with weights.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether no feature has weights.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

/// Probabilities from scores.
pub fn softmax<const N: usize>(z: [f32; N]) -> [f32; N] {
    let m = z.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let e = z.map(|v| (v - m).exp());
    let s: f32 = e.iter().sum();
    e.map(|v| v / s)
}

/// One training example: active feature hashes and the gold class.
pub struct Example {
    /// Active features.
    pub features: Vec<u64>,
    /// Gold class index.
    pub class: usize,
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainSettings {
    /// Passes over the data.
    pub epochs: usize,
    /// AdaGrad learning rate.
    pub learning_rate: f32,
    /// L2 regularisation strength.
    pub l2: f32,
    /// Features seen in fewer training examples are ignored (and not shipped).
    pub min_count: u32,
    /// Shuffle seed.
    pub seed: u64,
    /// Whether classes are weighted inversely to their frequency (for macro-F1 over classes
    /// rather than accuracy).
    pub balanced: bool,
}

/// Fits a multinomial logistic regression with AdaGrad and L2 regularisation, classes weighted
/// inversely to their frequency, and returns the average of the weights at the end of each
/// epoch (steadier than the last epoch's on both models' held-out data). Deterministic for a
/// seed.
pub fn train<const N: usize>(examples: &[Example], settings: TrainSettings) -> Weights<N> {
    let TrainSettings {
        epochs,
        learning_rate,
        l2,
        min_count,
        seed,
        balanced,
    } = settings;
    let mut counts = [0usize; N];
    let mut seen: PrehashedMap<u32> = PrehashedMap::default();
    for e in examples {
        counts[e.class] += 1;
        for f in &e.features {
            *seen.entry(*f).or_default() += 1;
        }
    }
    let kept = |f: &u64| seen.get(f).is_some_and(|&c| c >= min_count);
    let total = examples.len().max(1) as f32;
    let class_w = counts.map(|c| {
        if balanced {
            total / (N as f32 * c.max(1) as f32)
        } else {
            1.0
        }
    });
    let mut w: PrehashedMap<[f32; N]> = PrehashedMap::default();
    let mut g2: PrehashedMap<[f32; N]> = PrehashedMap::default();
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut state = seed;
    let lr = learning_rate;
    let mut avg: PrehashedMap<[f32; N]> = PrehashedMap::default();
    for _ in 0..epochs {
        crate::random::shuffle(&mut order, &mut state);
        for &k in &order {
            let e = &examples[k];
            let mut z = [0f32; N];
            for f in e.features.iter().filter(|f| kept(f)) {
                if let Some(x) = w.get(f) {
                    for c in 0..N {
                        z[c] += x[c];
                    }
                }
            }
            let p = softmax(z);
            let y = e.class;
            let cw = class_w[y];
            for f in e.features.iter().filter(|f| kept(f)) {
                let x = w.entry(*f).or_insert([0.0; N]);
                let g = g2.entry(*f).or_insert([0.0; N]);
                for c in 0..N {
                    let target = if c == y { 1.0 } else { 0.0 };
                    let grad = cw * (p[c] - target) + l2 * x[c];
                    g[c] += grad * grad;
                    x[c] -= lr * grad / (g[c].sqrt() + 1e-6);
                }
            }
        }
        for (k, v) in &w {
            let a = avg.entry(*k).or_insert([0.0; N]);
            for c in 0..N {
                a[c] += v[c];
            }
        }
    }
    for v in avg.values_mut() {
        for x in v.iter_mut() {
            *x /= epochs.max(1) as f32;
        }
    }
    Weights { weights: avg }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_hashes_its_parts_joined_by_the_separator_at_any_length() {
        let long = vec![b'w'; 300];
        for parts in [
            vec![&b"bias"[..]],
            vec![&b"ab"[..], &b"c"[..]],
            vec![&b""[..], &b""[..]],
            vec![&long[..127], &b""[..]],
            vec![&long[..128]],
            vec![&b"x"[..], &long[..]],
        ] {
            let joined = parts.join(&0x1f);
            assert_eq!(feature(&parts), xxhash_rust::xxh3::xxh3_64(&joined));
        }
        assert_ne!(feature(&[b"ab", b"c"]), feature(&[b"a", b"bc"]));
    }

    #[test]
    fn weights_round_trip_through_bytes() {
        let examples: Vec<Example> = (0..40)
            .map(|i| Example {
                features: vec![feature(&[b"bias"]), feature(&[b"x", &[(i % 4) as u8]])],
                class: i % 4,
            })
            .collect();
        let settings = TrainSettings {
            epochs: 5,
            learning_rate: 0.1,
            l2: 0.0,
            min_count: 1,
            seed: 7,
            balanced: true,
        };
        let w: Weights<4> = train(&examples, settings);
        let magic = b"TESTMOD1";
        let back = Weights::<4>::from_bytes(magic, &w.to_bytes(magic, 0.0)).expect("reads back");
        assert_eq!(back.len(), w.len());
        let f = [feature(&[b"bias"]), feature(&[b"x", &[2u8]])];
        assert_eq!(back.probabilities(f), w.probabilities(f));
        // The separable feature decides its class.
        let p = w.probabilities(f);
        assert!(p[2] > 0.5, "{p:?}");
        assert!(Weights::<3>::from_bytes(magic, &w.to_bytes(magic, 0.0)).is_err());
    }
}
