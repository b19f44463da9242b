//! Owners and features as bit sets, so listings filter on them with the same SQL on both engines.
//! Bit numbers are fixed here, not taken from the vocabulary's order: stored sets must keep their
//! meaning when a word is added. The matches are exhaustive, so a new word fails to compile until
//! it has a bit.

use crate::{Result, StoreError};
use tether_core::vocab::{Feature, Owner};

pub(super) trait Bit: Copy + 'static {
    const ALL: &'static [Self];
    fn bit(self) -> u32;
}

impl Bit for Owner {
    const ALL: &'static [Owner] = Owner::ALL;
    fn bit(self) -> u32 {
        match self {
            Owner::ConnectingUser => 0,
            Owner::AssetAdmin => 1,
            Owner::BusinessAdmin => 2,
            Owner::AccountOwner => 3,
            Owner::AppOwner => 4,
            Owner::Platform => 5,
        }
    }
}

impl Bit for Feature {
    const ALL: &'static [Feature] = Feature::ALL;
    fn bit(self) -> u32 {
        match self {
            Feature::Publish => 0,
            Feature::PublishVideo => 1,
            Feature::Analytics => 2,
            Feature::Inbox => 3,
            Feature::Comments => 4,
            Feature::Ads => 5,
            Feature::Leads => 6,
            Feature::Webhooks => 7,
            Feature::Backfill => 8,
            Feature::ProductTagging => 9,
        }
    }
}

pub(super) fn mask_of<T: Bit>(words: &[T]) -> i64 {
    words.iter().fold(0, |m, w| m | one(*w))
}

pub(super) fn one<T: Bit>(word: T) -> i64 {
    1i64 << word.bit()
}

/// The words of a stored set, in vocabulary order; a bit no word owns is corruption.
pub(super) fn words_of<T: Bit>(column: &'static str, mask: i64) -> Result<Vec<T>> {
    let known = mask_of(T::ALL);
    if mask & !known != 0 {
        return Err(StoreError::Corrupt {
            column,
            value: mask.to_string(),
        });
    }
    Ok(T::ALL
        .iter()
        .copied()
        .filter(|w| mask & one(*w) != 0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_word_has_its_own_bit() {
        let owners: BTreeSet<u32> = Owner::ALL.iter().map(|o| o.bit()).collect();
        assert_eq!(owners.len(), Owner::ALL.len());
        let features: BTreeSet<u32> = Feature::ALL.iter().map(|f| f.bit()).collect();
        assert_eq!(features.len(), Feature::ALL.len());
        assert!(features.iter().chain(&owners).all(|b| *b < 63));
    }

    #[test]
    fn sets_round_trip_in_vocabulary_order() {
        let m = mask_of(&[Feature::Inbox, Feature::Publish, Feature::Inbox]);
        assert_eq!(
            words_of::<Feature>("f", m).unwrap(),
            vec![Feature::Publish, Feature::Inbox]
        );
        assert!(words_of::<Owner>("o", 1 << 40).is_err());
        assert_eq!(words_of::<Owner>("o", 0).unwrap(), vec![]);
    }
}
