//! Names for `talentflow gen` that look like real ones where it matters to search and to people
//! reading a dashboard: researchers' given names and surnames are drawn from lists of common
//! ones with a long-tailed frequency (so, as in life, thousands share "Wang" or "Smith"), and
//! companies follow the patterns real ones do ("… AI", "… Labs", "University of …"), so that a
//! word like "ai" or "university" is shared by hundreds of them.

use std::collections::{HashMap, HashSet};

use rand::{Rng, rngs::StdRng};

use crate::domain::slug::Slug;

/// Common given names across the places AI researchers come from.
#[rustfmt::skip]
const GIVEN: &[&str] = &[
    "Wei", "Jing", "Hao", "Yu", "Xin", "Lei", "Jie", "Yang", "Min", "Jun", "Ying", "Hui", "Lin",
    "Tao", "Yan", "Bo", "Chao", "Fang", "Kai", "Rui", "Xiao", "Zhi", "Ming", "Qiang", "Rahul",
    "Priya", "Amit", "Ananya", "Arjun", "Vikram", "Sanjay", "Deepak", "Neha", "Pooja", "Rohan",
    "Aditya", "Karthik", "Siddharth", "Min-jun", "Seo-yeon", "Ji-ho", "Hyun-woo", "Ji-woo", "Sung",
    "David", "Michael", "John", "James", "Robert", "Daniel", "Sarah", "Emily", "Anna", "Maria",
    "Thomas", "Alexander", "Christopher", "Andrew", "Laura", "Julia", "Peter", "Paul", "Mark",
    "Kevin", "Jason", "Ryan", "Eric", "Matthew", "Jessica", "Emma", "Sophie", "Lucas", "Louis",
    "Pierre", "Marie", "Jean", "Hugo", "Luca", "Marco", "Giulia", "Francesco", "Sara", "Elena",
    "Ivan", "Dmitry", "Sergey", "Olga", "Natalia", "Andrei", "Alexei", "Mikhail", "Yuki", "Takashi",
    "Hiroshi", "Kenji", "Akira", "Noam", "Yonatan", "Tal", "Omer", "Ahmed", "Mohamed", "Ali",
    "Fatima", "Omar", "Carlos", "Juan", "Diego", "Sofia", "Pablo", "Javier", "Lukas", "Jonas",
    "Felix", "Max", "Leon", "Hannah", "Lena", "Tim", "Jan", "Piotr", "Tomasz", "Katarzyna",
    "Michal", "Ilya", "Nikita", "Oriol", "Quoc", "Minh", "Duc", "Linh", "Mei", "Samuel", "Benjamin",
    "Nicholas", "Joseph", "William", "Richard", "Steven", "Brian", "Rachel", "Rebecca", "Katherine",
    "Claire", "Alice", "Chloe", "Ines", "Leila", "Reza", "Arash", "Mehdi", "Nadia", "Yasmin",
    "Kofi", "Amara", "Chinedu", "Tunde", "Joao", "Rafael",
];

/// Common surnames, most frequent first.
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Kim", "Huang", "Zhao", "Smith", "Wu", "Lee",
    "Zhou", "Xu", "Singh", "Sun", "Nguyen", "Park", "Kumar", "Ma", "Zhu", "Hu", "Johnson", "Guo",
    "He", "Lin", "Gao", "Luo", "Sharma", "Patel", "Williams", "Brown", "Choi", "Jones", "Garcia",
    "Miller", "Tanaka", "Gupta", "Davis", "Rodriguez", "Muller", "Martin", "Wilson", "Tran",
    "Suzuki", "Martinez", "Anderson", "Taylor", "Thomas", "Jung", "Kang", "Sato", "Moore", "Shah",
    "Jackson", "Thompson", "White", "Lopez", "Schmidt", "Cho", "Clark", "Lewis", "Walker", "Reddy",
    "Rao", "Takahashi", "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green", "Baker",
    "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans",
    "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers",
    "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Le", "Pham", "Watanabe",
    "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
    "Becker", "Hoffmann", "Schulz", "Dubois", "Durand", "Bernard", "Moreau", "Laurent", "Rossi",
    "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Ivanov", "Smirnov", "Kuznetsov", "Popov",
    "Petrov", "Sokolov", "Cohen", "Levi", "Friedman", "Kowalski", "Nowak", "Silva", "Santos",
    "Oliveira", "Souza", "Costa", "Fernandes", "Hernandez", "Gonzalez", "Perez", "Sanchez",
    "Ramirez", "Torres", "Khan", "Ahmed", "Hassan", "Hussain", "Jensen", "Nielsen", "Hansen",
    "Larsen", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Iyer", "Menon", "Banerjee",
    "Chatterjee", "Mukherjee", "Das", "Bose", "Okafor", "Mensah", "Haddad", "Karimi",
];

/// Words companies are named after.
#[rustfmt::skip]
const STEMS: &[&str] = &[
    "Aurora", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Horizon", "Ion",
    "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orbit", "Prism", "Quantum", "Radiant",
    "Summit", "Tensor", "Umbra", "Vector", "Willow", "Xenon", "Zephyr", "Atlas", "Borealis",
    "Cascade", "Dynamo", "Echo", "Fathom", "Gradient", "Helix", "Inference", "Jasper", "Kernel",
    "Lattice", "Mosaic", "Nova", "Onyx", "Pulse", "Quasar", "Ridge", "Sierra", "Titan", "Unity",
    "Vertex", "Wave", "Axiom", "Boson", "Cipher", "Drift", "Epoch", "Flux", "Glacier", "Harbor",
    "Iris", "Jade", "Kite", "Lynx", "Mantis", "Nexus", "Oasis", "Pilot", "Quill", "Raven", "Sable",
    "Tidal", "Upland", "Vanguard", "Wren", "Yarrow", "Zenith", "Anchor", "Birch", "Cedar", "Dune",
    "Elm", "Fjord", "Grove", "Heron", "Indigo", "Jetty", "Kestrel", "Lagoon", "Maple", "Nectar",
    "Opal", "Pine", "Quarry", "Reef", "Spruce", "Thistle", "Veld", "Wolf", "Arc", "Bolt", "Crest",
    "Dawn", "Flint", "Gale", "Halo", "Ignite", "Jolt", "Kinetic", "Loom", "Magnet", "North",
    "Optic", "Photon", "Relay", "Signal", "Torch", "Vivid", "Wisp", "Apex", "Blue", "Clear", "Deep",
    "Bright", "Open", "True", "Silver", "Golden", "Red", "Swift", "Stellar", "Cosmic", "Neural",
    "Cognitive", "Sentient", "Latent", "Sparse", "Dense",
];

/// Places universities are named after.
#[rustfmt::skip]
const PLACES: &[&str] = &[
    "Oxford", "Cambridge", "Toronto", "Montreal", "Edinburgh", "Zurich", "Munich", "Berlin",
    "Paris", "Amsterdam", "Tokyo", "Kyoto", "Seoul", "Beijing", "Shanghai", "Hong Kong",
    "Singapore", "Sydney", "Melbourne", "Boston", "Chicago", "Washington", "Michigan", "California",
    "Texas", "Illinois", "Wisconsin", "Maryland", "Pennsylvania", "Stanford", "Princeton", "Yale",
    "Columbia", "Cornell", "Tsinghua", "Peking", "Zhejiang", "Fudan", "Nanjing", "Wuhan", "Delhi",
    "Bombay", "Madras", "Bangalore", "Tel Aviv", "Haifa", "Copenhagen", "Stockholm", "Helsinki",
    "Oslo", "Vienna", "Prague", "Warsaw", "Madrid", "Barcelona", "Lisbon", "Milan", "Rome",
    "Geneva", "Lausanne", "Vancouver", "Alberta", "Waterloo", "Ottawa", "Seattle", "Austin",
    "Atlanta", "Pittsburgh", "Utah", "Arizona", "Oregon", "Colorado", "Minnesota", "Ohio",
    "Virginia", "Carolina", "Georgia", "Florida", "Tokyo Metropolitan", "Osaka", "Taipei",
    "Manchester", "Bristol", "Leeds", "Glasgow", "Dublin", "Leuven", "Ghent", "Aachen", "Darmstadt",
    "Tubingen", "Heidelberg", "Bonn", "Sao Paulo", "Buenos Aires", "Santiago", "Mexico",
    "Cape Town", "Nairobi", "Lagos", "Cairo",
];

/// Draws researchers' names: a given name and a surname, each by its frequency rank.
pub struct PersonNames {
    given: Weighted,
    surnames: Weighted,
}

impl PersonNames {
    pub fn new() -> Self {
        Self {
            given: Weighted::zipf(GIVEN.len(), 0.7),
            surnames: Weighted::zipf(SURNAMES.len(), 1.0),
        }
    }

    /// "Wei Zhang", sometimes with a middle initial ("Anna K. Smith"), as papers print them.
    pub fn draw(&self, rng: &mut StdRng) -> String {
        let given = GIVEN[self.given.draw(rng)];
        let surname = SURNAMES[self.surnames.draw(rng)];
        if rng.gen_ratio(1, 8) {
            let initial = (b'A' + rng.gen_range(0..26)) as char;
            format!("{given} {initial}. {surname}")
        } else {
            format!("{given} {surname}")
        }
    }
}

/// A company's name in the pattern of its kind; distinct from every name drawn before.
pub fn company(kind: &str, rng: &mut StdRng, taken: &mut HashSet<String>) -> String {
    loop {
        let stem = STEMS[rng.gen_range(0..STEMS.len())];
        let place = PLACES[rng.gen_range(0..PLACES.len())];
        let name = match (kind, rng.gen_range(0..4)) {
            ("academia", _) => match rng.gen_range(0..6) {
                0 => format!("University of {place}"),
                1 => format!("{place} University"),
                2 => format!("{place} Institute of Technology"),
                3 => format!("Technical University of {place}"),
                4 => format!("{place} State University"),
                _ => format!("{place} College"),
            },
            ("big_tech", 0) => format!("{stem} Technologies"),
            ("big_tech", 1) => format!("{stem} Corporation"),
            ("big_tech", 2) => format!("{stem} Systems"),
            ("big_tech", _) => format!("{stem}soft"),
            ("ai_lab", 0 | 1) => format!("{stem} AI"),
            ("ai_lab", 2) => format!("{stem} Labs"),
            ("ai_lab", _) => format!("{stem} Research"),
            (_, 0 | 1) => format!("{stem} AI"),
            (_, 2) => format!("{stem} Robotics"),
            (_, _) => format!("{stem} Intelligence"),
        };
        // A word more when the name is taken ("Blue Falcon AI", "Cedar University of Oxford"),
        // so that any number of companies can be named.
        let name = if taken.contains(&name) {
            let second = STEMS[rng.gen_range(0..STEMS.len())];
            format!("{second} {name}")
        } else {
            name
        };
        if taken.insert(name.clone()) {
            return name;
        }
    }
}

/// The `n`th project's name: a word and a version, as models are named ("Helix 3").
pub fn project(n: usize) -> String {
    format!("{} {}", STEMS[n % STEMS.len()], n / STEMS.len() + 1)
}

/// Slugs as the API would make them from names: the name's slug, then `-2`, `-3`, … for the
/// next records of the same name.
#[derive(Default)]
pub struct Slugs(HashMap<String, u32>);

impl Slugs {
    pub fn next(&mut self, name: &str) -> String {
        let base = Slug::from_name(name);
        let seen = self.0.entry(base.as_str().to_owned()).or_insert(0);
        *seen += 1;
        match *seen {
            1 => base.as_str().to_owned(),
            n => base.with_suffix(n).as_str().to_owned(),
        }
    }
}

/// Picks an index with weight 1 / (rank + 1)^exponent.
struct Weighted(Vec<f64>);

impl Weighted {
    fn zipf(len: usize, exponent: f64) -> Self {
        let cumulative = (0..len)
            .scan(0.0, |sum, i| {
                *sum += 1.0 / ((i + 1) as f64).powf(exponent);
                Some(*sum)
            })
            .collect();
        Self(cumulative)
    }

    fn draw(&self, rng: &mut StdRng) -> usize {
        let total = *self.0.last().unwrap_or(&1.0);
        let x = rng.r#gen::<f64>() * total;
        self.0.partition_point(|c| *c < x).min(self.0.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn common_surnames_are_shared_by_many_and_rare_ones_by_few() {
        let names = PersonNames::new();
        let mut rng = StdRng::seed_from_u64(1);
        let drawn: Vec<String> = (0..20_000).map(|_| names.draw(&mut rng)).collect();
        let with = |surname: &str| {
            drawn
                .iter()
                .filter(|n| n.ends_with(&format!(" {surname}")))
                .count()
        };
        assert!(with("Wang") > 2_000, "Wang: {}", with("Wang"));
        assert!(with("Karimi") < 200, "Karimi: {}", with("Karimi"));
    }

    #[test]
    fn company_names_follow_their_kind_and_never_repeat() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut taken = HashSet::new();
        let names: Vec<String> = (0..2_000)
            .map(|i| {
                company(
                    super::super::KINDS[i % super::super::KINDS.len()],
                    &mut rng,
                    &mut taken,
                )
            })
            .collect();
        assert_eq!(taken.len(), 2_000);
        let universities = names.iter().filter(|n| n.contains("University")).count();
        let ais = names.iter().filter(|n| n.ends_with(" AI")).count();
        assert!(
            universities > 200 && ais > 400,
            "{universities} universities, {ais} AI"
        );
    }

    #[test]
    fn slugs_of_one_name_are_numbered_as_the_api_numbers_them() {
        let mut slugs = Slugs::default();
        assert_eq!(slugs.next("Wei Zhang"), "wei-zhang");
        assert_eq!(slugs.next("Wei Zhang"), "wei-zhang-2");
        assert_eq!(slugs.next("Anna K. Smith"), "anna-k-smith");
    }
}
