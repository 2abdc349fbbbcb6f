//! What talentflow reads of Postgres's own replication: the primary's WAL position, which a
//! write answers as its consistency token, and how far a streaming replica has replayed
//! (issue 15).

use std::{fmt, str::FromStr};

use sqlx::PgPool;

/// A WAL position (`pg_lsn`): `hi/lo` in hex as Postgres prints it, one 64-bit number to
/// compare, and 16 hex digits as a consistency token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lsn(pub u64);

impl FromStr for Lsn {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const BAD: &str = "a WAL position is two hexadecimal numbers, `hi/lo`";
        let (hi, lo) = text.split_once('/').ok_or(BAD)?;
        let half = |part: &str| -> Result<u64, &'static str> {
            if part.is_empty() || part.len() > 8 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BAD);
            }
            u64::from_str_radix(part, 16).map_err(|_| BAD)
        };
        Ok(Self((half(hi)? << 32) | half(lo)?))
    }
}

impl Lsn {
    /// The position as clients carry it: 16 hexadecimal digits, fixed width (so tokens also
    /// compare as text), letters and digits only (so any HTTP stack carries it unchanged).
    pub fn token(self) -> String {
        format!("{:016X}", self.0)
    }

    /// A token as [`Lsn::token`] writes it (either case); None for anything else.
    pub fn from_token(text: &str) -> Option<Self> {
        if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(text, 16).ok().map(Self)
    }
}

impl fmt::Display for Lsn {
    /// The form Postgres prints, so that a token reads like the `pg_lsn` it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// The primary's current WAL insert position. Read after a commit has returned, it is past
/// that commit's record even when commits are asynchronous (`synchronous_commit = off`, where
/// the write position may not have reached it yet): a replica that has replayed up to it has
/// the commit.
pub async fn write_position(pool: &PgPool) -> Result<Lsn, sqlx::Error> {
    let text: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(pool)
        .await?;
    parse_reported(&text)
}

/// What a replica says of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaReport {
    /// In recovery (a hot standby), having replayed WAL up to this position. A new snapshot
    /// taken there sees every commit before it.
    Replaying(Lsn),
    /// Not in recovery: promoted to a primary of its own (or never a replica), so it no longer
    /// follows the primary's writes.
    NotInRecovery,
}

/// Asks a replica whether it is still a standby and how far it has replayed.
pub async fn replica_report(pool: &PgPool) -> Result<ReplicaReport, sqlx::Error> {
    let (in_recovery, replayed): (bool, Option<String>) =
        sqlx::query_as("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
            .fetch_one(pool)
            .await?;
    match (in_recovery, replayed) {
        (true, Some(text)) => Ok(ReplicaReport::Replaying(parse_reported(&text)?)),
        // In recovery but nothing replayed yet (still starting): nothing is visible there.
        (true, None) => Ok(ReplicaReport::Replaying(Lsn(0))),
        (false, _) => Ok(ReplicaReport::NotInRecovery),
    }
}

fn parse_reported(text: &str) -> Result<Lsn, sqlx::Error> {
    text.parse()
        .map_err(|err: &str| sqlx::Error::Decode(format!("pg_lsn `{text}`: {err}").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_and_print_like_postgres_and_compare_as_numbers() {
        let lsn: Lsn = "16/B374D848".parse().unwrap();
        assert_eq!(lsn, Lsn((0x16 << 32) | 0xB374_D848));
        assert_eq!(lsn.to_string(), "16/B374D848");
        assert_eq!("0/0".parse::<Lsn>().unwrap().to_string(), "0/0");
        assert!("0/FFFFFFFF".parse::<Lsn>().unwrap() < "1/0".parse::<Lsn>().unwrap());
        for bad in [
            "",
            "16",
            "/1",
            "1/",
            "g/1",
            "1/2/3",
            "123456789/0",
            " 1/0",
            "-1/0",
        ] {
            assert!(bad.parse::<Lsn>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_sixteen_hex_digits_that_read_back_to_the_same_position() {
        let lsn: Lsn = "16/B374D848".parse().unwrap();
        assert_eq!(lsn.token(), "00000016B374D848");
        assert_eq!(Lsn::from_token(&lsn.token()), Some(lsn));
        assert_eq!(Lsn::from_token("00000016b374d848"), Some(lsn));
        assert!(Lsn(1).token() < Lsn(0xA).token() && Lsn(0xA).token() < Lsn(0x10).token());
        for bad in [
            "",
            "16/B374D848",
            "16B374D848",
            "00000016B374D8480",
            "0000001GB374D848",
            " 0000016B374D848",
        ] {
            assert_eq!(Lsn::from_token(bad), None, "{bad:?}");
        }
    }
}
