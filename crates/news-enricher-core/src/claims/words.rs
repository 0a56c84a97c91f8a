//! Closed word classes the claim finder reads text with. Hand-written; each list says what it is
//! for, so a rule that uses it can be read off the output.

/// Days of the week ("said on Monday", "Mr Blair on Friday said").
pub const DAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Words that open a noun phrase.
#[rustfmt::skip]
pub const DETERMINERS: &[&str] = &[
    "the", "a", "an", "his", "her", "its", "their", "our", "my", "your", "this", "these", "those",
    "some", "many", "several", "both", "all", "other", "another", "each", "most", "one", "two",
    "three", "four", "five", "six", "seven", "eight", "nine", "ten", "few", "any", "no", "such",
    "more",
];

/// Words that may stand between a subject and its verb ("Mr Blair has also said", "he did not
/// say", "the minister on Monday said").
#[rustfmt::skip]
pub const BETWEEN_SUBJECT_AND_VERB: &[&str] = &[
    "has", "have", "had", "'s", "'ve", "'d", "is", "was", "are", "were", "be", "been", "being",
    "am", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "do", "does",
    "did", "also", "again", "then", "later", "earlier", "previously", "already", "once",
    "reportedly", "repeatedly", "publicly", "privately", "recently", "yesterday", "today",
    "tonight", "now", "still", "even", "just", "only", "first", "further", "clearly", "strongly",
    "firmly", "quickly", "not", "n't", "never", "always", "often", "subsequently", "initially",
    "originally", "allegedly", "apparently", "openly", "simply", "flatly", "consistently",
    "angrily", "bluntly", "categorically", "emphatically", "however", "too", "both", "all",
    "himself", "herself", "themselves", "itself", "personally", "separately", "formally",
    "officially", "jointly", "immediately", "finally", "last", "week", "month", "on", "this",
    "year", "night", "morning", "evening", "afternoon", "insiders",
];

/// Forms of "be": a cue verb's past participle after one is passive ("is said to", "was told"),
/// and its subject is not the source.
#[rustfmt::skip]
pub const BE: &[&str] = &[
    "is", "was", "are", "were", "be", "been", "being", "am", "'s", "'re", "get", "got", "gets",
];

/// Subject pronouns that can be a claim's source.
pub const PRONOUNS: &[&str] = &["he", "she", "they", "it", "we", "i", "who", "which"];

/// Object pronouns and generic addressees after "told", "warned", "urged".
#[rustfmt::skip]
pub const ADDRESSEES: &[&str] = &[
    "him", "her", "them", "us", "me", "you", "reporters", "journalists", "mps", "delegates",
    "members", "supporters", "colleagues", "listeners", "viewers", "readers", "parliament",
    "peers", "the", "a", "an", "his", "their", "its", "our", "party", "voters", "activists",
    "investors", "analysts", "it",
];

/// Words that end a noun phrase going left and are never part of a source.
#[rustfmt::skip]
pub const NP_STOP: &[&str] = &[
    "and", "or", "but", "nor", "so", "yet", "that", "which", "who", "whom", "whose", "what",
    "when", "where", "while", "whether", "if", "because", "although", "though", "as", "than", "in",
    "on", "at", "to", "from", "by", "with", "about", "after", "before", "into", "over", "under",
    "between", "during", "since", "until", "against", "through", "without", "within", "there",
    "here", "not", "n't", "is", "was", "are", "were", "be", "been", "has", "have", "had", "do",
    "does", "did", "will", "would", "can", "could", "should", "may", "might", "must", "shall",
    "said", "says", "say", "told", "also", "it", "he", "she", "they", "we", "i", "you", "him",
    "them", "us", "me", "now", "then", "however", "meanwhile", "instead", "even", "just", "only",
    "very", "more", "less", "already", "still", "again", "yesterday", "today",
];

/// Capitalised words at a sentence start that are not names.
#[rustfmt::skip]
pub const SENTENCE_WORDS: &[&str] = &[
    "but", "and", "or", "so", "yet", "then", "however", "meanwhile", "also", "in", "on", "at",
    "as", "for", "with", "after", "before", "when", "while", "if", "although", "though", "because",
    "since", "the", "a", "an", "this", "that", "these", "those", "there", "it", "he", "she",
    "they", "we", "i", "speaking", "asked", "earlier", "later", "last", "now", "today",
    "yesterday", "what", "why", "how", "who", "instead", "indeed", "still", "both", "all", "some",
    "many", "under", "according", "despite", "during", "from", "by", "of", "to", "writing", "his",
    "her", "their", "its", "our", "my", "your", "not", "no", "one",
];

/// Prepositions that join a post-modifier to a source noun ("a spokesman for the Treasury",
/// "the head of the CBI").
pub const NP_JOINERS: &[&str] = &["of", "for", "at", "from"];

/// Nouns that head a source phrase, by what they refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NounClass {
    /// One person in a role ("the chancellor", "a spokesman"): definite ones are resolved
    /// against the roles the article gives people.
    Role,
    /// Unnamed people ("officials", "critics"): never a named speaker.
    People,
    /// An organisation described by its kind ("the company", "the newspaper"): definite ones
    /// are resolved to the organisation the article is about.
    Org,
    /// A text ("the report", "figures"): a source with no speaker.
    Document,
    /// Some other noun ("one disgruntled backbencher"): a source with no speaker, for verbs of
    /// saying only.
    Other,
}

impl NounClass {
    /// The bit of [`class`] that marks a word of this class.
    pub fn bit(self) -> u32 {
        match self {
            NounClass::Role => class::ROLE,
            NounClass::People => class::PEOPLE,
            NounClass::Org => class::ORG_NOUN,
            NounClass::Document => class::DOCUMENT,
            NounClass::Other => 0,
        }
    }

    /// The noun class a token's class bits give.
    pub fn from_bits(bits: u32) -> Option<NounClass> {
        [
            NounClass::Role,
            NounClass::People,
            NounClass::Org,
            NounClass::Document,
        ]
        .into_iter()
        .find(|c| bits & c.bit() != 0)
    }
}

#[rustfmt::skip]
/// Nouns for one person in a role.
pub const ROLE_NOUNS: &[&str] = &[
    "minister", "secretary", "chancellor", "leader", "president", "premier", "spokesman",
    "spokeswoman", "spokesperson", "chairman", "chairwoman", "chair", "chief", "executive",
    "director", "head", "boss", "governor", "mayor", "senator", "mp", "commissioner",
    "ambassador", "envoy", "official", "adviser", "advisor", "economist", "analyst", "expert",
    "lawyer", "solicitor", "barrister", "judge", "prosecutor", "attorney", "candidate",
    "founder", "owner", "manager", "deputy", "aide", "source", "member", "campaigner",
    "activist", "critic", "researcher", "scientist", "professor", "doctor", "officer",
    "commander", "inspector", "superintendent", "treasurer", "speaker", "whip",
    "secretary-general", "director-general", "father", "mother", "son", "daughter", "wife",
    "husband", "uncle", "aunt", "widow", "brother", "sister", "victim", "witness", "resident",
    "worker", "employee", "agent", "negotiator", "diplomat", "observer", "commentator",
    "historian", "author", "writer", "journalist", "reporter", "editor", "correspondent",
    "presenter", "host", "columnist", "broker", "trader", "strategist", "banker", "investor",
    "representative", "delegate", "counterpart", "colleague", "ally", "rival", "opponent",
    "supporter", "businessman", "businesswoman", "insider", "mep", "peer", "lord", "baroness",
    "councillor", "general", "admiral", "colonel", "captain", "sergeant", "coach",
    "backbencher", "frontbencher", "minister", "qc", "spokesperson", "chairperson", "boss",
    "leader", "campaigner", "protester",
];
#[rustfmt::skip]
/// Nouns for unnamed people.
pub const PEOPLE_NOUNS: &[&str] = &[
    "officials", "ministers", "critics", "analysts", "experts", "campaigners", "mps", "peers",
    "lawyers", "sources", "economists", "investors", "traders", "observers", "residents",
    "voters", "workers", "members", "leaders", "activists", "protesters", "people", "police",
    "prosecutors", "judges", "doctors", "scientists", "researchers", "opponents", "supporters",
    "rebels", "backbenchers", "insiders", "aides", "executives", "directors", "shareholders",
    "families", "relatives", "parents", "teachers", "commentators", "diplomats", "bosses",
    "employers", "managers", "staff", "officers", "unions", "councillors", "meps",
    "authorities", "regulators", "government", "others", "some", "many", "businesses", "firms",
    "someone", "somebody", "everyone", "everybody", "nobody", "anyone", "anybody",
    "companies", "banks", "groups", "charities", "organisations", "organizations", "countries",
    "nations", "states", "governments", "parties", "citizens", "consumers", "customers",
    "users", "patients", "pupils", "students", "women", "men", "children", "victims",
    "witnesses", "chiefs", "heads", "spokesmen", "spokespeople", "representatives",
    "delegates", "employees", "nurses", "farmers", "manufacturers", "retailers", "brokers",
    "dealers", "bankers", "strategists", "planners", "polls", "pollsters", "forecasters",
    "senators", "lawmakers", "legislators", "academics", "specialists", "advisers", "advisors",
    "colleagues", "allies", "rivals", "friends", "neighbours", "neighbors", "locals",
    "administration", "opposition",
];
#[rustfmt::skip]
/// Nouns for an organisation by its kind.
pub const ORG_NOUNS: &[&str] = &[
    "party", "company", "firm", "group", "bank", "newspaper", "paper", "daily", "agency",
    "committee", "commission", "court", "tribunal", "union", "council", "department",
    "ministry", "office", "board", "authority", "regulator", "watchdog", "carmaker", "airline",
    "retailer", "operator", "manufacturer", "airport", "club", "federation", "association",
    "institute", "organisation", "organization", "charity", "network", "broadcaster",
    "station", "channel", "magazine", "website", "army", "military", "cabinet", "panel",
    "coalition", "alliance", "campaign", "body", "corporation", "giant", "producer", "maker",
    "supermarket", "chain", "insurer", "lender", "conglomerate", "publisher", "exchange",
    "fund", "carrier", "team", "studio", "label", "business", "service", "centre", "center",

    "school", "university", "hospital", "foundation", "trust", "lobby", "industry",
];
#[rustfmt::skip]
/// Nouns for a text that can be a source.
pub const DOCUMENT_NOUNS: &[&str] = &[
    "report", "study", "survey", "poll", "figures", "statement", "letter", "document",
    "research", "review", "audit", "data", "analysis", "memo", "book", "bill", "ruling",
    "judgment", "judgement", "verdict", "findings", "evidence", "article", "manifesto",
    "proposal", "proposals", "plan", "plans", "documents", "reports", "studies", "surveys",
    "statistics", "numbers", "estimates", "forecast", "forecasts", "inquiry", "investigation",
    "paper", "papers", "budget", "law", "act", "legislation", "guidance", "figure", "minutes",
    "results", "accounts", "memoir", "autobiography", "biography", "speech", "interview",
];

/// The class of a head noun (lower case), if it can head a source.
pub fn noun_class(w: &str) -> Option<NounClass> {
    if ROLE_NOUNS.contains(&w) {
        Some(NounClass::Role)
    } else if PEOPLE_NOUNS.contains(&w) {
        Some(NounClass::People)
    } else if ORG_NOUNS.contains(&w) {
        Some(NounClass::Org)
    } else if DOCUMENT_NOUNS.contains(&w) {
        Some(NounClass::Document)
    } else {
        None
    }
}

/// Words after a country or demonym that make it the state acting ("the Iranian government",
/// "UK ministers").
#[rustfmt::skip]
pub const GOVERNMENT: &[&str] = &[
    "government", "authorities", "regime", "administration", "leadership", "state",
    "foreign ministry", "ministry",
];

/// Honorifics that mark a man or a woman.
pub const MALE_HONORIFICS: &[&str] = &["mr", "mr.", "sir", "lord", "king", "prince", "duke"];
/// See [`MALE_HONORIFICS`].
pub const FEMALE_HONORIFICS: &[&str] = &[
    "mrs", "mrs.", "ms", "ms.", "miss", "dame", "lady", "baroness", "queen", "princess", "duchess",
];

/// Platforms a post is published on ("posted on X", "wrote on Facebook").
#[rustfmt::skip]
pub const PLATFORMS: &[&str] = &[
    "x", "twitter", "facebook", "instagram", "truth", "telegram", "tiktok", "threads", "bluesky",
    "linkedin", "youtube", "weibo", "blog", "substack", "social",
];

/// Nouns of saying that head a claim: "X's claim that …", "his warning of …".
#[rustfmt::skip]
pub const CUE_NOUNS: &[&str] = &[
    "claim", "claims", "warning", "warnings", "pledge", "pledges", "promise", "promises", "view",
    "views", "belief", "fear", "fears", "hope", "hopes", "threat", "threats", "demand", "demands",
    "insistence", "assertion", "statement", "denial", "admission", "suggestion", "argument",
    "accusation", "accusations", "allegation", "allegations", "assurance", "assurances",
    "announcement", "commitment", "criticism", "call", "calls", "plea", "prediction", "forecast",
    "verdict", "conclusion", "vow", "refusal", "decision", "proposal", "proposals", "plan",
    "plans", "intention", "bid", "opposition", "support", "concern", "concerns", "message",
    "remarks", "comments", "words",
];

/// Lower-case words that belong to a role before a name ("shadow home secretary David Davis",
/// "Liberal Democrat home affairs spokesman Mark Oaten").
#[rustfmt::skip]
pub const ROLE_MODIFIERS: &[&str] = &[
    "former", "shadow", "senior", "junior", "deputy", "new", "outgoing", "acting", "chief", "top",
    "leading", "prominent", "local", "national", "foreign", "home", "prime", "vice", "assistant",
    "general", "managing", "executive", "financial", "economic", "political", "party", "campaign",
    "health", "education", "transport", "environment", "defence", "defense", "trade", "culture",
    "sports", "justice", "interior", "finance", "affairs", "energy", "work", "pensions",
    "industry", "business", "employment", "legal", "press", "communications", "policy",
    "development", "international", "state", "attorney", "solicitor", "labour", "treasury",
    "cabinet", "office", "women", "family", "rural", "constitutional", "europe", "european",
    "northern", "ireland", "scotland", "wales", "welsh", "scottish", "london", "city", "county",
    "police", "union", "company", "group", "bank", "board", "club", "team", "television", "radio",
    "news", "opposition", "government", "backbench", "veteran", "retired", "elected", "incoming",
    "interim", "joint", "co-founder", "founding", "honorary", "permanent", "special", "principal",
];

/// Words after which a noun phrase can be a subject: clause openers, conjunctions,
/// punctuation-like words. After any other lower-case word the phrase is an object.
#[rustfmt::skip]
pub const SUBJECT_BOUNDARY: &[&str] = &[
    "and", "but", "or", "so", "yet", "that", "which", "who", "when", "while", "whereas", "because",
    "as", "if", "since", "although", "though", "where", "after", "before", "until", "once", "then",
    "also", "meanwhile", "however", "now", "instead", "still", "today", "yesterday", "earlier",
    "later", "tonight", "indeed", "nor", "whether", "than", "why", "how", "what", "adding",
    "saying", "in", "on", "at", "for", "with", "from", "during", "under", "by", "of", "to",
    "about", "over", "against", "between", "within", "without", "through", "despite", "amid",
    "among", "following", "like", "unlike", "outside", "inside", "across", "toward", "towards",
    "into", "upon", "via", "per", "last", "this", "week", "month", "year", "night", "morning",
    "evening", "afternoon", "weekend", "ago", "too",
];

/// Verbs that take a person or body as their object, so a name right after one is not a
/// subject ("unions meeting Mr Prescott want …").
#[rustfmt::skip]
pub const TRANSITIVE: &[&str] = &[
    "met", "meet", "meets", "meeting", "told", "tell", "asked", "ask", "urged", "urge", "thanked",
    "praised", "blamed", "accused", "called", "named", "appointed", "replaced", "beat", "defeated",
    "joined", "followed", "backed", "supported", "opposed", "criticised", "criticized", "attacked",
    "defended", "visited", "sacked", "hired", "elected", "chose", "phoned", "invited", "warned",
    "reminded", "assured", "informed", "interviewed", "quoted", "like", "likes", "include",
    "includes", "including", "with", "sees", "saw", "see", "let", "lets", "helped", "help",
    "helps", "want", "wants", "wanted", "made", "make", "makes",
];

/// Roles that name someone the article has usually not named ("the spokesman", "the lawyer"):
/// never resolved to a person by salience, only by a role the article gives them.
#[rustfmt::skip]
pub const GENERIC_ROLES: &[&str] = &[
    "spokesman", "spokeswoman", "spokesperson", "official", "source", "aide", "adviser", "advisor",
    "lawyer", "solicitor", "barrister", "analyst", "expert", "critic", "member", "campaigner",
    "activist", "researcher", "scientist", "economist", "correspondent", "reporter", "editor",
    "witness", "victim", "resident", "worker", "employee", "agent", "observer", "commentator",
    "colleague", "ally", "rival", "opponent", "supporter", "insider", "representative", "delegate",
    "negotiator", "diplomat", "doctor", "officer", "father", "mother", "son", "daughter", "wife",
    "husband", "uncle", "aunt", "widow", "brother", "sister", "author", "writer", "journalist",
    "presenter", "host", "columnist", "broker", "trader", "strategist", "banker", "investor",
    "backbencher", "protester",
];

/// Words that open a sentence with an adverbial phrase before its subject ("During …, Mr X
/// said", "As agriculture minister he …").
pub const ADVERBIAL_OPENERS: &[&str] = &[
    "during",
    "in",
    "at",
    "on",
    "after",
    "before",
    "as",
    "when",
    "while",
    "although",
    "though",
    "despite",
    "following",
    "under",
    "since",
    "with",
    "without",
    "for",
    "from",
    "by",
    "amid",
    "if",
    "unless",
    "until",
    "once",
    "because",
    "speaking",
    "asked",
    "writing",
    "responding",
    "earlier",
    "later",
    "last",
    "meanwhile",
    "however",
    "now",
    "today",
    "yesterday",
];

/// Prepositions: a name right after one is not its sentence's subject.
pub const PREPOSITIONS: &[&str] = &[
    "in",
    "at",
    "on",
    "to",
    "from",
    "with",
    "by",
    "for",
    "of",
    "about",
    "against",
    "regarding",
    "over",
    "including",
    "like",
    "concerning",
    "into",
    "under",
    "than",
    "between",
    "among",
    "after",
    "before",
    "during",
    "towards",
    "toward",
    "across",
    "through",
    "via",
    "despite",
    "without",
    "within",
    "behind",
    "beyond",
    "around",
    "near",
    "alongside",
    "unlike",
    "upon",
];

/// Nouns that end the name of an outlet an addressee is ("told BBC Radio 4's Today
/// programme"): part of a phrase after a verb, never a source by themselves.
pub const OUTLET_NOUNS: &[&str] = &["programme", "program", "show", "podcast", "website", "blog"];

/// Word classes as bits, so each token is looked up once ([`WordClasses`]) and every later test
/// is a bit test.
pub mod class {
    #![allow(missing_docs)]
    pub const DETERMINER: u32 = 1 << 0;
    pub const BETWEEN_SUBJECT_AND_VERB: u32 = 1 << 1;
    pub const BE: u32 = 1 << 2;
    pub const PRONOUN: u32 = 1 << 3;
    pub const NP_STOP: u32 = 1 << 4;
    pub const SENTENCE_WORD: u32 = 1 << 5;
    pub const NP_JOINER: u32 = 1 << 6;
    pub const GOVERNMENT: u32 = 1 << 7;
    pub const MALE_HONORIFIC: u32 = 1 << 8;
    pub const FEMALE_HONORIFIC: u32 = 1 << 9;
    pub const PLATFORM: u32 = 1 << 10;
    pub const CUE_NOUN: u32 = 1 << 11;
    pub const ROLE_MODIFIER: u32 = 1 << 12;
    pub const SUBJECT_BOUNDARY: u32 = 1 << 13;
    pub const TRANSITIVE: u32 = 1 << 14;
    pub const GENERIC_ROLE: u32 = 1 << 15;
    pub const DAY: u32 = 1 << 16;
    pub const ADVERBIAL_OPENER: u32 = 1 << 17;
    pub const PREPOSITION: u32 = 1 << 18;
    pub const OUTLET_NOUN: u32 = 1 << 19;
    pub const ROLE: u32 = 1 << 20;
    pub const PEOPLE: u32 = 1 << 21;
    pub const ORG_NOUN: u32 = 1 << 22;
    pub const DOCUMENT: u32 = 1 << 23;
    pub const HONORIFIC: u32 = MALE_HONORIFIC | FEMALE_HONORIFIC;
}

/// Every word of the lists above with the class bits it has.
#[derive(Debug, Clone)]
pub struct WordClasses {
    map: std::collections::HashMap<&'static str, u32, foldhash::fast::FixedState>,
}

impl Default for WordClasses {
    fn default() -> Self {
        Self::new()
    }
}

impl WordClasses {
    /// The table built from this module's lists.
    pub fn new() -> Self {
        let lists: &[(u32, &[&'static str])] = &[
            (class::DETERMINER, DETERMINERS),
            (class::BETWEEN_SUBJECT_AND_VERB, BETWEEN_SUBJECT_AND_VERB),
            (class::BE, BE),
            (class::PRONOUN, PRONOUNS),
            (class::NP_STOP, NP_STOP),
            (class::SENTENCE_WORD, SENTENCE_WORDS),
            (class::NP_JOINER, NP_JOINERS),
            (class::GOVERNMENT, GOVERNMENT),
            (class::MALE_HONORIFIC, MALE_HONORIFICS),
            (class::FEMALE_HONORIFIC, FEMALE_HONORIFICS),
            (class::PLATFORM, PLATFORMS),
            (class::CUE_NOUN, CUE_NOUNS),
            (class::ROLE_MODIFIER, ROLE_MODIFIERS),
            (class::SUBJECT_BOUNDARY, SUBJECT_BOUNDARY),
            (class::TRANSITIVE, TRANSITIVE),
            (class::GENERIC_ROLE, GENERIC_ROLES),
            (class::DAY, DAYS),
            (class::ADVERBIAL_OPENER, ADVERBIAL_OPENERS),
            (class::PREPOSITION, PREPOSITIONS),
            (class::OUTLET_NOUN, OUTLET_NOUNS),
        ];
        let mut map: std::collections::HashMap<&'static str, u32, foldhash::fast::FixedState> =
            Default::default();
        for (bit, words) in lists {
            for w in *words {
                *map.entry(w).or_default() |= bit;
            }
        }
        for w in [ROLE_NOUNS, PEOPLE_NOUNS, ORG_NOUNS, DOCUMENT_NOUNS]
            .into_iter()
            .flatten()
        {
            if let Some(c) = noun_class(w) {
                *map.entry(w).or_default() |= c.bit();
            }
        }
        WordClasses { map }
    }

    /// The class bits of a lower-case word.
    pub fn of(&self, w: &str) -> u32 {
        self.map.get(w).copied().unwrap_or(0)
    }
}
