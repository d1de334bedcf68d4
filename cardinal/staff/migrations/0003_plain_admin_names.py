"""Plain names in the admin: django-axes' sign-in records as proxies (no table of
their own) named "Sign-in lockouts", "Successful sign-ins" and "Failed sign-ins",
and authenticator apps named "Two-factor devices"."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('axes', '0010_accessattemptexpiration'),
        ('staff', '0002_move_totp_devices'),
    ]

    operations = [
        migrations.CreateModel(
            name='FailedSignIn',
            fields=[
            ],
            options={
                'verbose_name': 'failed sign-in',
                'verbose_name_plural': 'failed sign-ins',
                'ordering': ['-attempt_time'],
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('axes.accessfailurelog',),
        ),
        migrations.CreateModel(
            name='SignInLockout',
            fields=[
            ],
            options={
                'verbose_name': 'sign-in lockout',
                'verbose_name_plural': 'sign-in lockouts',
                'ordering': ['-attempt_time'],
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('axes.accessattempt',),
        ),
        migrations.CreateModel(
            name='SuccessfulSignIn',
            fields=[
            ],
            options={
                'verbose_name': 'successful sign-in',
                'verbose_name_plural': 'successful sign-ins',
                'ordering': ['-attempt_time'],
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('axes.accesslog',),
        ),
        migrations.AlterModelOptions(
            name='stafftotpdevice',
            options={'verbose_name': 'two-factor device'},
        ),
    ]
