//! Compute instances (the members of a pool, with their creation time) and instance types,
//! as the API lists them.

use serde::{Deserialize, Serialize};

use super::pool::Manager;

/// A compute instance type; its user-facing name is `family.size`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceType {
    pub id: String,
    #[serde(default)]
    pub family: String,
    #[serde(default)]
    pub size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
}

impl InstanceType {
    /// The canonical (lower-case) `family.size` name.
    pub fn name(&self) -> String {
        format!("{}.{}", self.family, self.size).to_ascii_lowercase()
    }
}

/// `GET /instance-type` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct InstanceTypeList {
    #[serde(default)]
    pub instance_types: Vec<InstanceType>,
}

/// A template as an instance names it (the list of instances gives the whole object).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSummary {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A Compute instance as `GET /instance` lists it: the fields a pool member has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Instance {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `running`, `starting`, `stopped`, ... kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// RFC 3339; see [`Instance::created_at_unix_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip_assignment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<InstanceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Manager>,
}

impl Instance {
    /// When the instance was created, in Unix milliseconds; None when the API gave no
    /// readable time.
    pub fn created_at_unix_ms(&self) -> Option<i64> {
        parse_rfc3339_ms(self.created_at.as_deref()?)
    }
}

/// `GET /instance` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstanceList {
    #[serde(default)]
    pub instances: Vec<Instance>,
}

/// Parses an RFC 3339 date-time (`2025-01-01T12:00:00.5Z`, `...+02:00`) into Unix
/// milliseconds; fractions below a millisecond are dropped.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = text.get(from..to)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if bytes.len() < 20
        || separators.iter().any(|&(at, sep)| bytes[at] != sep)
        || !matches!(bytes[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // A leap second counts as the last second of its minute.
    let second = second.min(59);
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &fraction[..digits.min(3)];
        millis = kept.parse::<i64>().ok()? * 10_i64.pow(3 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (hours, minutes) = rest[1..].split_once(':')?;
            if hours.len() != 2 || minutes.len() != 2 {
                return None;
            }
            sign * (hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?)
        }
    };
    let days = crate::plugin::calendar::days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_a_listed_instance_and_its_creation_time() {
        let list: InstanceList = serde_json::from_value(json!({"instances": [{
            "id": "i1", "name": "web-1a2b3", "state": "running",
            "created-at": "2025-01-01T00:00:01.250Z",
            "public-ip": "198.18.0.1", "ipv6-address": "2001:db8::1",
            "public-ip-assignment": "dual",
            "instance-type": {"id": "t", "family": "standard", "size": "small", "cpus": 2},
            "template": {"id": "tpl", "name": "Linux", "zones": ["ch-gva-2"]},
            "manager": {"id": "p1", "type": "instance-pool"},
            "mac-address": "06:00:00:00:00:01"
        }]}))
        .unwrap();
        let member = &list.instances[0];
        assert_eq!(member.created_at_unix_ms(), Some(1_735_689_601_250));
        assert_eq!(
            member
                .instance_type
                .as_ref()
                .map(InstanceType::name)
                .as_deref(),
            Some("standard.small")
        );
        assert_eq!(
            member.manager.as_ref().and_then(|m| m.kind.as_deref()),
            Some("instance-pool")
        );
        let bare: Instance = serde_json::from_value(json!({"id": "i2"})).unwrap();
        assert_eq!(bare.created_at_unix_ms(), None);
    }

    #[test]
    fn rfc3339_times() {
        let epoch = |t| parse_rfc3339_ms(t);
        assert_eq!(epoch("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch("2025-01-01T00:00:00Z"), Some(1_735_689_600_000));
        assert_eq!(epoch("2028-02-29T12:00:00z"), Some(1_835_438_400_000));
        assert_eq!(epoch("2025-01-01T02:00:00+02:00"), Some(1_735_689_600_000));
        assert_eq!(epoch("2024-12-31T23:30:00-00:30"), Some(1_735_689_600_000));
        assert_eq!(
            epoch("2025-01-01 00:00:00.123456Z"),
            Some(1_735_689_600_123)
        );
        assert_eq!(epoch("2025-01-01T00:00:00.5Z"), Some(1_735_689_600_500));
        for bad in [
            "2025-01-01",
            "2025-01-01T00:00:00",
            "2025-13-01T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:00:00.Z",
            "2025-01-01T00:00:00+0200",
            "2025/01/01T00:00:00Z",
            "2025-01-01T00:00:00Zjunk",
        ] {
            assert_eq!(epoch(bad), None, "{bad}");
        }
    }
}
