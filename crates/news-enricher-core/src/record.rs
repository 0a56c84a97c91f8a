//! The enriched record: the one JSON document published per article.
//!
//! Its shape is a contract with downstream analytics and is pinned by
//! `schemas/enriched-record.schema.json`; bump [`SCHEMA_VERSION`] on any breaking change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::article::Article;

/// Version of the output record's schema, also sent as a message header.
pub const SCHEMA_VERSION: u32 = 7;

/// The worker's own version, stamped into provenance.
pub const WORKER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One enriched article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichedRecord {
    /// [`SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// Article id; also the Kafka key.
    pub id: String,
    /// The decoded article.
    pub article: Article,
    /// Deduplication verdict.
    pub dedup: Dedup,
    /// Named entities (people, organisations, places, nationalities), in order of first
    /// mention.
    pub entities: Vec<Entity>,
    /// Attributed statements: who said, wrote, holds or wants what, in text order.
    pub claims: Vec<Claim>,
    /// Stance tags: who says what for or against whom, with the evidence.
    pub stances: Vec<Stance>,
    /// Where the input came from and who processed it.
    pub provenance: Provenance,
}

impl EnrichedRecord {
    /// The record of a freshly decoded article, before any stage has run.
    pub fn new(article: Article, provenance: Provenance) -> Self {
        EnrichedRecord {
            schema_version: SCHEMA_VERSION,
            id: article.id.clone(),
            article,
            dedup: Dedup::default(),
            entities: Vec::new(),
            claims: Vec::new(),
            stances: Vec::new(),
            provenance,
        }
    }
}

/// Deduplication verdict for one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dedup {
    /// The verdict.
    pub status: DedupStatus,
    /// Id of the remembered article this one copies (the most recent copy when there are
    /// several).
    pub duplicate_of: Option<String>,
    /// Which key matched, so the verdict explains itself.
    pub matched_on: Option<MatchedOn>,
    /// Estimated Jaccard similarity (5-word shingles) to `duplicate_of`; 1 for exact copies.
    pub similarity: Option<f64>,
    /// Id of the first article of the cluster; the article's own id when it is unique. Null when
    /// deduplication did not run.
    pub cluster_id: Option<String>,
    /// Paragraphs that repeat an earlier paragraph of the same body.
    pub repeated_paragraphs: Vec<RepeatedParagraph>,
}

impl Default for Dedup {
    fn default() -> Self {
        Dedup {
            status: DedupStatus::NotChecked,
            duplicate_of: None,
            matched_on: None,
            similarity: None,
            cluster_id: None,
            repeated_paragraphs: Vec::new(),
        }
    }
}

/// Deduplication outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupStatus {
    /// No deduplication stage ran (it is not in the configured pipeline).
    NotChecked,
    /// Not seen before within the window.
    Unique,
    /// Same normalised text or canonical URL as a remembered article.
    ExactDuplicate,
    /// Estimated Jaccard similarity at or above the threshold with a remembered article.
    NearDuplicate,
}

impl DedupStatus {
    /// As the record writes it (`snake_case`), for metric labels and span attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            DedupStatus::NotChecked => "not_checked",
            DedupStatus::Unique => "unique",
            DedupStatus::ExactDuplicate => "exact_duplicate",
            DedupStatus::NearDuplicate => "near_duplicate",
        }
    }

    /// Whether the article copies an earlier one.
    pub fn is_duplicate(self) -> bool {
        matches!(
            self,
            DedupStatus::ExactDuplicate | DedupStatus::NearDuplicate
        )
    }
}

/// Which dedup key matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedOn {
    /// NFKC-normalised, case-folded, whitespace-collapsed body.
    Text,
    /// Canonical URL.
    Url,
    /// MinHash signature (near-duplicate).
    Minhash,
}

/// A paragraph that repeats an earlier one in the same body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatedParagraph {
    /// Char offset (Unicode scalar values, not bytes) in the article body where the repeat
    /// starts, surrounding whitespace excluded.
    pub start: usize,
    /// Char offset just past the repeat's end: the repeat is `[start, end)`.
    pub end: usize,
    /// Char offset where the first occurrence it repeats starts.
    pub first_start: usize,
    /// Char offset just past the first occurrence's end: it is `[first_start, first_end)`.
    pub first_end: usize,
    /// Overlap coefficient, in `[0, 1]`, of the two paragraphs' sets of 3-word shingles:
    /// shared shingles over the smaller set's size (see [`crate::dedup::paragraphs`]).
    pub similarity: f64,
}

/// Entity types in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EntityType {
    /// People.
    Person,
    /// Organisations: companies, agencies, parties, media.
    Org,
    /// Places: countries, cities, regions.
    Loc,
    /// Nationalities and groups ("Iranian").
    Norp,
}

/// How a mention was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionSource {
    /// The statistical tagger labelled the span.
    Tagger,
    /// A gazetteer entry: a country or demonym the tagger did not label, or a well-known
    /// organisation's full name.
    Gazetteer,
    /// A capitalised name right after a title ("Foreign Minister Amir-Abdollahian").
    Title,
    /// A capitalised name right before a verb of saying ("Gallant posted").
    Speaker,
    /// The surname of a person named in full elsewhere in the article.
    Document,
    /// A capital standing for its country's government ("Washington’s concern", "Moscow
    /// said"): the tagger found the place, this rule linked it to the country.
    Capital,
}

/// One occurrence of an entity in the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    /// The text as written.
    pub text: String,
    /// Char offset of its first character in the body.
    pub start: usize,
    /// Char offset one past its last character.
    pub end: usize,
    /// Who found it.
    pub source: MentionSource,
}

/// One real-world referent mentioned in the article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Canonical name: the longest form used in the article (countries: the gazetteer's name).
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: EntityType,
    /// Every mention, in body order.
    pub mentions: Vec<Mention>,
    /// Number of mentions.
    pub count: usize,
    /// Title or role given to a person ("US Secretary of State").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// ISO 3166-1 alpha-2 code of a country, of a demonym's country, or of a known city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Name of the country a demonym belongs to ("Turkish" → "Turkey").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Where a record came from. Kafka coordinates are null for offline (`enrich`) runs, which carry
/// the file and line instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Source topic.
    pub topic: Option<String>,
    /// Source partition.
    pub partition: Option<i32>,
    /// Source offset.
    pub offset: Option<i64>,
    /// The Kafka message timestamp.
    pub message_timestamp: Option<DateTime<Utc>>,
    /// Input file of an offline run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in [`Provenance::file`] (JSON Lines) or 1 for a plain-text file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// [`WORKER_VERSION`].
    pub worker_version: String,
    /// When the worker produced this record.
    pub processed_at: DateTime<Utc>,
    /// Stages that ran, in order.
    pub stages: Vec<String>,
}

impl Provenance {
    /// Provenance stamped by this worker version, with no source coordinates yet.
    pub fn new(processed_at: DateTime<Utc>, stages: Vec<String>) -> Self {
        Provenance {
            topic: None,
            partition: None,
            offset: None,
            message_timestamp: None,
            file: None,
            line: None,
            worker_version: WORKER_VERSION.to_owned(),
            processed_at,
            stages,
        }
    }
}

/// A char span of the body with its text, as every tag publishes its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The text as written.
    pub text: String,
    /// Char offset of its first character in the body.
    pub start: usize,
    /// Char offset one past its last character.
    pub end: usize,
}

/// How a statement is attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// Quoted words.
    DirectQuote,
    /// A speech or thought act in the writer's words: "X said that …", "according to X, …".
    Indirect,
    /// A position, intention or attitude the writer attributes: "X plans to …", "X backs …",
    /// "Iran has accused Israel of …".
    Reported,
    /// Words posted on a social platform or an embedded post signed by its author.
    Post,
}

/// The pattern that found a claim, so each claim says why it is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimRule {
    /// A quote followed by its attribution: `“…,” she said`, `“…,” said Mr Smith`.
    QuoteThenCue,
    /// An attribution leading into a quote: `She said: “…”`, `the words of Biden that “…”`.
    CueThenQuote,
    /// A quote with no attribution of its own that goes on with the previous speaker's words.
    QuoteContinues,
    /// A post embedded in the article and signed `— Name (@handle) date`.
    SignedPost,
    /// A verb of saying or thinking before its clause: `X said (that) …`, `X believes …`.
    CueThenClause,
    /// The attribution after the clause: `…, X said.`, `…, says X`.
    ClauseThenCue,
    /// `according to X, …` or `…, according to X`.
    AccordingTo,
    /// A noun of saying: `X's claim that …`, `in a statement, X …`, `X's warning …`.
    CueNoun,
    /// A verb of position or intention with its object: `X backs …`, `X plans to …`.
    Position,
}

/// How the speaker of a claim was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeakerRule {
    /// The source is a name of the entity ("Mr Blair", "Tory leader Michael Howard").
    Name,
    /// A pronoun resolved to the nearest compatible earlier speaker or subject.
    Pronoun,
    /// A description resolved to an entity with that role or kind ("the chancellor", "the
    /// newspaper").
    Description,
    /// No source words: the speaker of the claim this one continues.
    PreviousSpeaker,
    /// The source names no entity ("a spokesman", "officials"), or could not be resolved with
    /// confidence: the speaker is left null.
    Unresolved,
}

/// One attributed statement: who (source, speaker) said or holds what (content), and the words
/// that say so (cue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// How it is attributed.
    pub kind: ClaimKind,
    /// Canonical name of the entity (an entry of `entities`) the source refers to; `None` when
    /// the source names no entity or could not be resolved.
    pub speaker: Option<String>,
    /// Its type.
    pub speaker_type: Option<EntityType>,
    /// How the speaker was found.
    pub speaker_rule: SpeakerRule,
    /// The words naming the source as written ("he", "the newspaper", "Mrs. Clinton"); `None`
    /// when no words do (a quote continuing an earlier speaker's).
    pub source: Option<Span>,
    /// The attributing words ("said", "according to", "posted on X"); `None` when layout alone
    /// attributes the content.
    pub cue: Option<Span>,
    /// What was said or held: quote marks excluded.
    pub content: Span,
    /// Later parts of a quote the attribution interrupts (`“…,” he said, “…”`), or of a quote
    /// running over several paragraphs.
    #[serde(default)]
    pub content_parts: Vec<Span>,
    /// Where the same content appears again word for word (an embedded post quoted twice).
    #[serde(default)]
    pub repeats: Vec<Span>,
    /// The pattern that found it.
    pub rule: ClaimRule,
}

/// Which rule decided a stance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StanceRule {
    /// The speaker's own stance verb or noun takes the target as its object ("backed Blair",
    /// "our commitment to Israel's security", "Iran has accused Israel").
    CueGovernsTarget,
    /// The target is the subject of a negated modal ("Iran must not").
    ModalNegation,
    /// The speaker demands the target's exit or punishment ("must be shut down", "should
    /// resign").
    ModalDemand,
    /// The target does or is what the claim judges: agent of a hostile or helpful act ("Trump
    /// targeted POWs"), subject of an evaluation ("the plan is a shambles"), owner of a judged
    /// thing ("Labour's failure", "the Iranian threat").
    Judged,
    /// The target is an argument of the content, which takes no side (`neutral`).
    Argument,
    /// The polarity model, by its most decisive word, on a target its sentence is about.
    Model,
    /// The verdict model (`stance::verdict`), trained on annotated articles, where it reads
    /// the pair otherwise than any rule: `cue` is its most decisive word.
    Verdict,
}

/// What the target is in the claim's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetRole {
    /// The subject of the predicate, or the "by" agent of a passive one.
    Agent,
    /// The object of a verb or noun.
    Patient,
    /// The owner or attribute of a judged noun phrase.
    Possessor,
    /// Named in the content in none of those roles as far as the stage can parse it (a list,
    /// a clause it cannot read); only the verdict model decides such targets.
    Other,
}

/// For, against or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StanceLabel {
    /// The speaker is for the target.
    Support,
    /// The speaker is against the target.
    Oppose,
    /// Neither.
    Neutral,
}

/// One speaker → target stance, built on a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stance {
    /// Index into the record's `claims` of the claim that carries it.
    pub claim: usize,
    /// Canonical name of the speaker's entity.
    pub speaker: String,
    /// Its type.
    pub speaker_type: EntityType,
    /// Canonical name of the target's entity.
    pub target: String,
    /// Its type.
    pub target_type: EntityType,
    /// The target's words in the claim's content.
    pub target_mention: Span,
    /// What the target is in the content.
    pub role: TargetRole,
    /// The stance.
    pub stance: StanceLabel,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// The sentence of the claim's content that carries it (within the content).
    pub evidence: Span,
    /// The cue that decided: a lexicon entry ("commitment", "accus*"), "must not", or the
    /// model's most decisive word.
    pub cue: String,
    /// Which rule decided.
    pub rule: StanceRule,
    /// How the claim was made.
    pub kind: ClaimKind,
}

#[cfg(test)]
mod tests {
    use super::DedupStatus;

    #[test]
    fn dedup_status_names_are_what_the_record_writes() {
        for status in [
            DedupStatus::NotChecked,
            DedupStatus::Unique,
            DedupStatus::ExactDuplicate,
            DedupStatus::NearDuplicate,
        ] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }
}
