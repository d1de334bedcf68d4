from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save

SAVED_OR_DELETED = ((post_save, "saved"), (post_delete, "deleted"))


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = "Medication guides"

    def ready(self):
        for signal, receiver, sender, uid in self.signal_receivers():
            signal.connect(receiver, sender=sender, dispatch_uid=uid)

    def signal_receivers(self) -> list[tuple]:
        """(signal, receiver, sender, dispatch_uid) of each receiver ready() connects.

        A testimonial's save or delete moves its guide's cache validators on; a FAQ's
        or a cited source's stores its guide's new content fingerprint (what a review
        covers), and a cited source's renders the Sources sections citing it; a guide's
        or a condition's renders the comparison pages whose table it changed, and the
        Related medications sections listing the guide (or a guide of the condition),
        as does a change of a guide's related list; a save or delete of any row a guide
        page shows, a medical review and a condition included, retires the pages the
        fast path keeps. A translation's FAQ is part of what its review covers too;
        its rows retire the stored pages as the guide's do. A line of a change log,
        the guide's or a translation's, and a condition render again the page sections
        stored with the guides and translations that show them.
        """
        from education import page_cache, signals
        from education.models import (
            FAQ,
            Condition,
            Guide,
            GuideChange,
            GuideReview,
            GuideTranslation,
            Source,
            Testimonial,
            TranslationChange,
            TranslationFAQ,
            TranslationReview,
        )

        retire_pages = page_cache.content_changed_receiver
        return [
            *(
                (signal, signals.faq_changed, FAQ, f"education.faq-fingerprint-{event}")
                for signal, event in SAVED_OR_DELETED
            ),
            (post_save, signals.source_changed, Source, "education.source-fingerprint-saved"),
            *(
                (signal, signals.comparison_rows_changed, model, f"education.{name}-rows-{event}")
                for model, name in ((Guide, "guide"), (Condition, "condition"))
                for signal, event in SAVED_OR_DELETED
            ),
            *(
                (signal, signals.testimonial_changed, Testimonial, f"education.testimonial-{event}")
                for signal, event in SAVED_OR_DELETED
            ),
            *(
                (
                    signal,
                    signals.translation_faq_changed,
                    TranslationFAQ,
                    f"education.translation-faq-fingerprint-{event}",
                )
                for signal, event in SAVED_OR_DELETED
            ),
            (post_save, signals.listed_guide_changed, Guide, "education.related-guide-saved"),
            (post_delete, signals.listed_guide_deleted, Guide, "education.related-guide-deleted"),
            (
                post_delete,
                signals.translation_deleted,
                GuideTranslation,
                "education.translation-deleted",
            ),
            (post_save, signals.listed_condition_changed, Condition, "education.related-condition"),
            (
                post_save,
                signals.condition_sections_changed,
                Condition,
                "education.condition-sections",
            ),
            *(
                (signal, signals.change_log_changed, model, f"education.{name}-log-{event}")
                for model, name in ((GuideChange, "guide"), (TranslationChange, "translation"))
                for signal, event in SAVED_OR_DELETED
            ),
            (m2m_changed, signals.related_list_changed, Guide.related.through, "education.related"),
            *(
                (
                    signal,
                    retire_pages,
                    model,
                    f"education.page-cache.{model._meta.model_name}-{event}",
                )
                for model in (
                    Guide,
                    FAQ,
                    GuideChange,
                    Source,
                    Testimonial,
                    GuideReview,
                    Condition,
                    GuideTranslation,
                    TranslationFAQ,
                    TranslationChange,
                    TranslationReview,
                )
                for signal, event in SAVED_OR_DELETED
            ),
            (m2m_changed, retire_pages, Guide.related.through, "education.page-cache.related"),
        ]
