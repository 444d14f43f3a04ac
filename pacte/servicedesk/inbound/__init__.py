"""E-mail intake for the service desk: raw messages read from mailboxes (sources), parsed (parse), ingested."""
