//! Template filters, one way to show each kind of value: `{{ amount|yuan }}`.

use domain::money::Fen;

/// What a template may show as money: a [`Fen`], or a reference to one.
pub trait Money {
    fn amount(&self) -> Fen;
}

impl Money for Fen {
    fn amount(&self) -> Fen {
        *self
    }
}

impl<T: Money + ?Sized> Money for &T {
    fn amount(&self) -> Fen {
        (**self).amount()
    }
}

/// `¥1,234.50`, `-¥3.00`.
pub fn yuan(amount: impl Money, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(amount.amount().display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_shows_fen_and_references_alike() {
        let values = askama::NO_VALUES;
        assert_eq!(yuan(Fen::new(123_450), values).unwrap(), "¥1,234.50");
        let amount = Fen::new(-300);
        let reference = &&amount;
        assert_eq!(yuan(reference, values).unwrap(), "-¥3.00");
    }
}
