"""French cues, written without accents or with them (folding removes them), elisions apart
("l' appli" is how "l'appli" is matched). Weights as in the English lexicon."""

from __future__ import annotations

# fmt: off
CUES: dict[str, dict[float, tuple[str, ...]]] = {
    "complaint": {
        0.5: (
            "heures", "jours", "semaines", "mois", "depuis", "mdr", "lol", "vraiment",
            "franchement", "encore", "toujours", "attendre", "frais", "jamais", "resilier",
            "resiliation", "facture",
        ),
        2.0: (
            "ne marche pas", "ne marche plus", "marche pas", "marche plus",
            "ne fonctionne pas", "ne fonctionne plus", "fonctionne pas", "fonctionne plus",
            "en panne", "panne", "pannes", "coupure", "coupures", "coupe", "coupee",
            "plus de reseau", "pas de reseau", "aucun reseau", "plus d' internet",
            "pas d' internet", "plus de connexion", "pas de connexion", "ca rame", "rame",
            "annule", "annulee", "annules", "annulation", "supprime", "en retard",
            "toujours en retard", "encore en retard", "retard", "retards", "toujours pas",
            "toujours rien", "toujours aucun", "toujours aucune", "toujours en attente",
            "jamais recu", "jamais recue", "pas recu", "pas recue", "rien recu",
            "jamais arrive", "jamais arrivee", "pas arrive", "pas arrivee", "pas livre",
            "jamais livre", "aucune reponse", "aucun retour", "sans reponse",
            "sans nouvelles", "personne ne", "injoignable", "impossible de joindre",
            "impossible d' avoir", "impossible de", "inadmissible", "inacceptable",
            "honteux", "honteuse", "honte", "scandale", "scandaleux", "scandaleuse",
            "lamentable", "pitoyable", "minable", "nul", "nulle", "nuls", "naze", "arnaque",
            "arnaqueurs", "escroc", "escrocs", "escroquerie", "voleurs", "ras le bol",
            "ras-le-bol", "marre", "j' en ai marre", "en ai marre", "y en a marre",
            "saoule", "gave", "degoute", "degoutee", "decu", "decue", "decevant",
            "deception", "furieux", "furieuse", "enerve", "enervee", "agace", "agacee",
            "exaspere", "exasperee", "catastrophe", "catastrophique", "galere", "cauchemar",
            "n' importe quoi", "foutage de gueule", "se moque", "se moquent", "vous moquez",
            "pris pour des", "bug", "bugue", "beug", "plante", "crash", "erreur", "bloque",
            "bloquee", "preleve deux fois", "debite deux fois", "facture deux fois",
            "preleve a tort", "trop percu", "surfacture", "facture trop", "remboursez",
            "toujours pas rembourse", "ou est mon remboursement", "ou est mon colis",
            "ou est ma commande", "colis perdu", "commande perdue", "abime", "abimee",
            "endommage", "endommagee", "casse", "cassee", "manquant", "manquante",
            "depuis des jours", "depuis des semaines", "depuis des mois", "depuis ce matin",
            "depuis hier", "attente depuis", "attendre des heures", "heures d' attente",
            "service client injoignable", "service client nul", "pas normal", "pas content",
            "pas contente", "pas satisfait", "pas satisfaite", "mecontent", "mecontente",
            "insatisfait", "plus jamais", "pire", "le pire", "lent", "lente", "trop lent",
            "hyper lent", "ultra lent", "pas terrible", "pas top", "mensonge", "menti",
            "incompetent", "incompetents", "incompetence", "foutu", "foutue", "plainte",
            "reclamation", "litige", "n' arrive pas", "n' arrive plus", "j' arrive pas",
            "je n' arrive pas", "je n' arrive plus", "me laisse pas", "ne me laisse pas",
            "refuse", "refusee", "rate", "loupe", "correspondance ratee", "perime",
            "perimes", "perimee", "perimees", "fissure", "ecrase", "ecrases", "pourri",
            "moisi", "hors service", "tentative de livraison", "avis de passage",
            "n' a meme pas", "meme pas", "pas sonne", "c' est une blague", "pour changer",
            "merci pour rien", "suspendu", "supprime mon", "augmente encore", "pas d' info",
            "aucune info", "aucune information", "aucune explication", "sans prevenir",
            "sans explication", "alors que je paie", "alors que je paye", "serveurs down",
            "down", "en rade", "ca coupe", "coupe sans arret", "ne repond pas",
            "ne repondez pas", "on me sert", "factures quand meme", "facture quand meme",
            "toujours le meme", "ca recommence", "rebelote", "une fois de plus",
            "a nouveau", "efface", "fendu", "retreci", "vous resiliez", "zero nouvelle",
            "aucune nouvelle", "rien fait", "sans aucun", "sans aucune", "c' est quoi ce",
            "c' est quoi ces", "ca aurait pu", "a la poubelle", "je veux etre rembourse",
            "je veux etre remboursee", "je veux un remboursement", "debout depuis",
            "toujours bloque", "toujours coince", "c' est normal", "est-ce normal",
            "faut pas s' etonner", "de pire en pire", "du jour au lendemain",
            "j' ai decouvert", "je decouvre", "prelevee", "preleves", "prelevees",
            "on se retrouve", "pirate", "compte pirate", "je ne recois pas",
            "je ne recois plus", "ne recois pas", "ne s' affiche pas", "ne s' affiche plus",
            "ne charge pas", "ne s' ouvre pas", "ne se lance pas", "impossible d' acceder",
            "impossible de me connecter", "disparu", "disparus", "disparue", "fige",
            "freeze", "lague", "refuse de", "agacant", "enervant", "insupportable",
            "reparez", "corrigez", "merci de corriger",
        ),
        1.0: (
            "encore une fois", "pourquoi", "ca fait", "cela fait", "remboursement",
            "rembourser", "dedommagement", "indemnisation", "geste commercial", "rien",
            "personne", "probleme", "problemes", "souci", "soucis", "attente", "attends",
            "troisieme fois", "3eme fois", "3e fois", "deuxieme fois", "chaque fois",
            "a chaque fois", "comme d' habitude", "comme toujours", "serieusement",
            "serieux", "cher", "trop cher", "prelevement", "preleve", "expliquer",
            "expliquez", "aidez-moi", "aidez moi", "besoin d' aide", "urgent", "svp",
            "s' il vous plait", "stp", "mauvais", "mauvaise", "deplorable", "limite",
            "quand meme", "🤬", "😡", "😤", "👎", "🙄", "😠", "😒", "😩", "😫", "💩", "pfff", "pff",
            "grr", "bref", "sans arret", "tout le temps", "en permanence", "je paie",
            "je paye", "on paie", "paye", "€", "alors que", "sauf que", "blague", "froid",
            "bloque", "augmentation", "hausse", "queue", "file d' attente", "franchement",
            "rembourse", "en attente", "perdu", "perdue", "merci la transparence",
            "merci la fidelite", "merci pour le", "sauf que", "soi-disant", "cense",
            "censee", "normalement", "plus moyen", "n' y arrive pas",
        ),
    },
    "question": {
        1.0: (
            "?", "comment", "comment faire", "quand", "ou est", "ou sont", "est-ce que",
            "est ce que", "pouvez-vous", "pouvez vous", "pourriez-vous", "pourriez vous",
            "savez-vous", "savez vous", "est-il possible", "est il possible", "y a-t-il",
            "y a t il", "quel", "quelle", "quels", "quelles", "combien",
            "je voudrais savoir", "j' aimerais savoir", "une question", "petite question",
            "renseignement", "renseignements", "information", "informations", "infos",
            "je cherche", "possible de", "peut-on", "peut on", "puis-je", "puis je",
            "dois-je", "je peux", "on peut", "je dois", "il faut", "ca veut dire",
            "c' est possible", "modifiable", "faut-il", "est-ce", "suis-je",
            "je fais comment", "comment on fait", "vous transferez",
        ),
        # "merci de" and a verb asks for something; it thanks nobody (see praise).
        2.0: (
            "merci de regarder", "merci de verifier", "merci de me", "merci de nous",
            "merci de bien vouloir", "merci de faire", "merci de voir", "merci de m'",
            "merci de rappeler", "merci de traiter", "merci de jeter",
        ),
    },
    "praise": {
        # Weightless: "merci de" and a verb is a request; as the longer phrase it keeps
        # "merci" from counting as thanks.
        0.0: ("merci de",),
        2.0: (
            "merci beaucoup", "merci mille fois", "mille mercis", "un grand merci",
            "grand merci", "merci infiniment", "bravo", "chapeau", "au top",
            "service au top", "super service", "service impeccable", "tres efficace",
            "super efficace", "tres reactif", "super reactif", "tres rapide",
            "merci pour la rapidite", "merci pour votre reactivite",
            "merci pour votre aide", "merci pour l' aide", "pas mal", "rien a dire",
            "je recommande", "je vous recommande", "j' adore", "on adore", "coup de coeur",
            "felicitations", "sans rien avoir a", "sans avoir a", "sans rien demander",
            "ca fait du bien", "rien a redire", "comme quoi", "respect", "a l' heure",
            "bien joue", "un seul appel", "chapeau bas", "merci a vous",
        ),
        1.0: (
            "merci", "mercii", "top", "super", "genial", "geniale", "parfait", "parfaite",
            "excellent", "excellente", "impeccable", "nickel", "efficace", "reactif",
            "reactive", "rapide", "rapidement", "sympa", "agreable", "content", "contente",
            "ravi", "ravie", "satisfait", "satisfaite", "adore", "bien recu", "regle",
            "resolu", "enfin", "❤", "❤️", "😍", "🥰", "😊", "🙏", "👍", "💯", "🙌", "👏",
            "souriante", "souriant", "adorable", "honnete", "impressionne", "impressionnee",
            "pepite", "rare",
        ),
    },
    "spam": {
        2.0: (
            "concours", "jeu concours", "a gagner", "gagnez", "tentez votre chance",
            "cliquez ici", "clique ici", "lien en bio", "code promo", "offre exclusive",
            "crypto", "bitcoin", "investissement", "gagner de l' argent", "argent facile",
            "abonnez-vous", "abonne toi", "on recrute", "nous recrutons", "offre d' emploi",
            "postulez", "selectionne pour", "reclame-le", "reclamez", "bon d' achat de",
            "gagne", "tu as ete selectionne",
        ),
    },
    "negator": {
        1.0: (
            "pas", "jamais", "rien", "aucun", "aucune", "ni", "sans", "zero", "pas de",
        ),
    },
    "conditional": {
        1.0: (
            "si je", "si j'", "si mon", "si ma", "si mes", "si le", "si la", "si l'",
            "si les", "si on", "si vous", "si il", "s' il", "si elle", "si ca", "si un",
            "si une", "en cas de", "en cas d'", "au cas ou", "dans le cas ou",
        ),
    },
    "outage": {
        1.0: (
            "panne", "pannes", "en panne", "coupure", "coupures", "plus de reseau",
            "pas de reseau", "aucun reseau", "plus d' internet", "pas d' internet",
            "hors service", "hors ligne", "ne repond plus", "vous etes en panne",
            "chez vous aussi", "d' autres personnes", "quelqu' un d' autre", "vous aussi",
            "tout le quartier", "toute la ville", "site inaccessible", "appli inaccessible",
        ),
    },
    "churn": {
        1.0: (
            "resilier", "resiliation", "je resilie", "je me barre", "je m' en vais",
            "je pars chez", "je vais chez", "je passe chez", "changer d' operateur",
            "changer de banque", "changer de fournisseur", "je vous quitte", "vous quitter",
            "dernier jour chez", "plus jamais chez", "client depuis",
        ),
    },
    "safety": {
        1.0: (
            "incendie", "feu", "fumee", "etincelles", "odeur de brule", "explosion",
            "explose", "fuite de gaz", "monoxyde", "electrocute", "electrocution", "blesse",
            "blessee", "blessure", "saigne", "ambulance", "hopital", "urgences",
            "dangereux", "dangereuse", "danger", "agresse", "agressee", "agression",
            "harcele", "harcelement", "menace", "menaces", "surchauffe", "intoxication",
            "reaction allergique",
        ),
    },
    "legal": {
        1.0: (
            "avocat", "avocate", "plainte", "porter plainte", "tribunal", "justice",
            "mediateur", "ufc", "que choisir", "dgccrf", "arcep", "signal conso",
            "signalconso", "cnil", "rgpd", "mise en demeure", "huissier", "60 millions",
        ),
    },
    "resolved": {
        1.0: (
            "regle", "resolu", "repare", "fonctionne a nouveau", "remarche", "ca remarche",
            "bien recu", "enfin recu", "c' est bon", "tout est rentre dans l' ordre",
            "rembourse", "probleme regle", "enfin", "corrige", "retabli", "remis",
            "rembourse en", "rembourses", "rembourses", "recu en", "a tout regle",
        ),
    },
}

TOPICS: dict[str, tuple[str, ...]] = {
    "network": (
        "reseau", "4g", "5g", "3g", "couverture", "wifi", "wi-fi", "internet", "fibre",
        "adsl", "box", "livebox", "freebox", "bbox", "routeur", "connexion", "debit",
        "data", "appels", "sms", "signal",
    ),
    "billing": (
        "facture", "facturation", "facture", "prelevement", "preleve", "paiement", "paye",
        "remboursement", "rembourse", "frais", "prix", "tarif", "forfait", "abonnement",
        "argent", "carte bancaire", "banque", "debit", "virement",
    ),
    "delivery": (
        "livraison", "livre", "livree", "livreur", "colis", "commande", "suivi", "expedie",
        "expedition", "point relais", "relais", "casier", "transporteur", "chronopost",
        "colissimo", "article manquant",
    ),
    "account": (
        "compte", "identifiant", "identifiants", "mot de passe", "connexion au compte",
        "espace client", "code", "verification", "bloque", "profil", "adresse mail",
    ),
    "app": (
        "appli", "application", "site", "site web", "mise a jour", "bug", "beug", "plante",
        "crash", "erreur", "ios", "android", "iphone",
    ),
    "travel": (
        "vol", "train", "tgv", "ter", "rer", "bus", "retard", "annule", "quai",
        "embarquement", "bagage", "bagages", "valise", "place", "billet", "reservation",
        "correspondance", "aeroport", "gare",
    ),
}
# fmt: on
