//! The five event types of the Segment Spec, which Orbit speaks on the wire.

/// The kind of an event; the `type` field on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A page view.
    Page,
    /// A named action with properties.
    Track,
    /// Ties a user id and traits to the visitor.
    Identify,
    /// Merges a previous id into a user id.
    Alias,
    /// Associates the user with a company or account.
    Group,
}

impl EventType {
    /// Every type, in the order error messages list them.
    pub const ALL: [EventType; 5] = [
        EventType::Page,
        EventType::Track,
        EventType::Identify,
        EventType::Alias,
        EventType::Group,
    ];

    /// The wire name, as in `"type":"page"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::Page => "page",
            EventType::Track => "track",
            EventType::Identify => "identify",
            EventType::Alias => "alias",
            EventType::Group => "group",
        }
    }

    /// Reads a wire name; exact and case-sensitive, as the Segment Spec is.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_wire_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn wire_names_are_case_sensitive() {
        assert_eq!(EventType::parse("Page"), None);
        assert_eq!(EventType::parse(""), None);
    }
}
