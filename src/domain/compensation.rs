use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    id_or_slug::IdOrSlug,
    partial_date::{PartialDate, Precision},
    refs::{CompanyRef, SourceRef},
};

super::text_enum! {
    /// `base` salary, or `total` compensation (salary, bonus, equity).
    Basis { Base => "base", Total => "total" }
}

/// Pay for a role at a company as reported: "up to $2M a year at Meta".
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CompensationReport {
    pub id: Uuid,
    #[sqlx(json)]
    pub company: CompanyRef,
    #[schema(example = "AI researcher")]
    pub role: String,
    /// ISO 4217.
    #[schema(example = "USD")]
    pub currency: String,
    /// Whole currency units a year; null when the report gives no lower bound.
    pub annual_min: Option<i64>,
    /// Null when the report gives no upper bound.
    #[schema(example = 2000000)]
    pub annual_max: Option<i64>,
    /// Null when the report does not say.
    pub basis: Option<Basis>,
    pub reported_on: NaiveDate,
    pub reported_precision: Precision,
    #[sqlx(json(nullable))]
    pub source: Option<SourceRef>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CompensationDraft {
    pub company: IdOrSlug,
    pub role: String,
    pub currency: String,
    pub annual_min: Option<i64>,
    pub annual_max: Option<i64>,
    pub basis: Option<Basis>,
    pub reported: PartialDate,
    pub source: Option<Uuid>,
    pub notes: Option<String>,
}

/// ISO 4217 codes of currencies in use.
pub const CURRENCIES: &str = "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD \
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL \
HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD \
MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR \
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND \
VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

/// A currency code in either case, returned upper-cased.
pub fn parse_currency(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 3 && CURRENCIES.split(' ').any(|known| known == code) {
        Ok(code)
    } else {
        Err(format!("`{text}` is not an ISO 4217 currency code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_checked_against_iso_4217() {
        assert_eq!(parse_currency("usd").unwrap(), "USD");
        assert_eq!(parse_currency("EUR").unwrap(), "EUR");
        for bad in ["US", "DOLLAR", "XXX", "", "U$D"] {
            assert!(parse_currency(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
