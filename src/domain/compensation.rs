use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{Check, Form, Invalid, checked};
use super::text;
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

/// A compensation report as written. Amounts are whole currency units a year; either bound may
/// be left open ("up to 2,000,000"), but not both, and the minimum may not exceed the maximum.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompensationInput {
    /// Id or slug of the company.
    #[schema(required = true, value_type = String, example = "meta", format = "id-or-slug")]
    pub company: Option<String>,
    #[schema(required = true, value_type = String, example = "AI researcher", format = "name:200")]
    pub role: Option<String>,
    /// ISO 4217 code.
    #[schema(required = true, value_type = String, example = "USD", format = "currency")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "super::form::integer")]
    #[schema(minimum = 0, maximum = 9223372036854775807_i64)]
    pub annual_min: Option<i64>,
    #[serde(default, deserialize_with = "super::form::integer")]
    #[schema(example = 2000000, minimum = 0, maximum = 9223372036854775807_i64)]
    pub annual_max: Option<i64>,
    #[schema(value_type = Option<Basis>)]
    pub basis: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(required = true, value_type = String, example = "2024-03", format = "partial-date")]
    pub reported_on: Option<String>,
    /// Id of the source.
    pub source: Option<Uuid>,
    #[schema(format = "prose:10000")]
    pub notes: Option<String>,
}

impl Form for CompensationInput {
    type Draft = CompensationDraft;

    fn validate(self) -> Result<CompensationDraft, Invalid> {
        let mut check = Check::default();
        let amount = |v: i64| {
            if v >= 0 {
                Ok(v)
            } else {
                Err("must not be negative".to_owned())
            }
        };
        let company = check.require("company", self.company, |c| IdOrSlug::parse(&c));
        let role = check.require("role", self.role, |r| text::name(&r, 200));
        let currency = check.require("currency", self.currency, |c| parse_currency(&c));
        let annual_min = check.optional("annual_min", self.annual_min, amount);
        let annual_max = check.optional("annual_max", self.annual_max, amount);
        let basis = check.optional("basis", self.basis, |b| Basis::parse(&b));
        let reported = check.require("reported_on", self.reported_on, |d| PartialDate::parse(&d));
        let notes = check.optional("notes", self.notes, |n| text::prose(&n, 10_000));
        match (self.annual_min, self.annual_max) {
            (None, None) => check.error("annual_max", "give `annual_min`, `annual_max` or both"),
            (Some(min), Some(max)) if min > max => {
                check.error("annual_min", "must not exceed `annual_max`")
            }
            _ => {}
        }
        check.finish()?;
        Ok(CompensationDraft {
            company: checked(company),
            role: checked(role),
            currency: checked(currency),
            annual_min,
            annual_max,
            basis,
            reported: checked(reported),
            source: self.source,
            notes,
        })
    }
}

impl From<&CompensationReport> for CompensationInput {
    fn from(r: &CompensationReport) -> Self {
        Self {
            company: Some(r.company.id.to_string()),
            role: Some(r.role.clone()),
            currency: Some(r.currency.clone()),
            annual_min: r.annual_min,
            annual_max: r.annual_max,
            basis: r.basis.map(|b| b.as_str().to_owned()),
            reported_on: Some(
                PartialDate {
                    start: r.reported_on,
                    precision: r.reported_precision,
                }
                .to_string(),
            ),
            source: r.source.as_ref().map(|s| s.id),
            notes: r.notes.clone(),
        }
    }
}
