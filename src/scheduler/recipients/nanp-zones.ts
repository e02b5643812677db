/**
 * United States and Canada: candidate zones by area code (the first three NSN digits).
 *
 * What this can and cannot know: an area code says where the number was issued, not where
 * its owner is today (mobile numbers move with people). It is still the best signal a list
 * without `tz` offers; a list that knows better supplies `tz`. Area codes that span two
 * clocks (Florida's panhandle, western Kentucky, Idaho, Arizona's Navajo Nation, …) keep both
 * candidates; codes missing here (new overlays, non-geographic 5XX/8XX) get the country's full
 * list. Only codes whose territory is certain were entered: a missing code costs precision,
 * a wrong one could cost quiet hours.
 */
import { prefixTable, type MultiZoneRule } from './zone-tables.js';

const EASTERN = ['America/New_York'];
const CENTRAL = ['America/Chicago'];
const MOUNTAIN = ['America/Denver'];
const ARIZONA = ['America/Phoenix'];
const PACIFIC = ['America/Los_Angeles'];
const EASTERN_CENTRAL = ['America/New_York', 'America/Chicago'];
const CENTRAL_MOUNTAIN = ['America/Chicago', 'America/Denver'];
const MOUNTAIN_PACIFIC = ['America/Denver', 'America/Los_Angeles'];

export const US_ZONES: MultiZoneRule = {
  all: ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles', 'America/Anchorage', 'America/Adak', 'Pacific/Honolulu'],
  byPrefix: prefixTable([
    // CT, DE, DC, GA, ME, MD, MA, NH, NJ
    ['203 475 860 959 302 202 771 404 470 678 770 706 762 912 229 478 207 301 240 227 410 443 667', EASTERN],
    ['617 857 508 774 781 339 978 351 413 603 201 551 609 640 732 848 856 862 973 908', EASTERN],
    // NY, NC, OH
    ['212 646 332 917 718 347 929 516 631 934 914 845 329 518 838 315 680 607 585 716', EASTERN],
    ['704 980 919 984 336 743 252 828 910 472 216 440 436 330 234 419 567 614 380 740 220 513 283 937 326', EASTERN],
    // PA, RI, SC, VT, VA, WV
    ['215 267 445 412 878 610 484 835 717 223 570 272 724 814 582 401 803 839 843 854 864 821 802', EASTERN],
    ['703 571 804 686 757 948 540 826 434 276 304 681', EASTERN],
    // Florida peninsula; Michigan's lower peninsula; central Indiana; Louisville and Lexington; Knoxville
    ['305 786 645 954 754 561 407 689 321 813 656 727 941 239 352 904 324 386 772', EASTERN],
    ['313 679 248 947 586 734 810 517 989 616 269 231 317 463 765 260 502 859 865', EASTERN],
    // AL, AR, IL, IA, LA, MN, MS, MO, OK, WI
    ['205 659 251 256 938 334 479 501 870 327 217 447 224 847 309 861 312 872 331 630 618 730 708 464 773 779 815', CENTRAL],
    ['319 515 563 641 712 225 318 337 504 985 218 320 507 612 651 763 952 228 601 769 662', CENTRAL],
    ['314 557 417 573 235 636 660 816 975 405 572 539 580 918 262 414 534 608 353 715 920', CENTRAL],
    // Texas (except El Paso), middle and west Tennessee, NW Indiana, eastern Kansas and Nebraska
    ['210 726 214 469 972 945 254 281 346 713 832 325 361 409 430 903 512 737 806 817 682 830 936 940 956 979 432', CENTRAL],
    ['615 629 931 731 901 219 316 913 402 531', CENTRAL],
    // CO, MT, NM, UT, WY, El Paso
    ['303 720 983 719 970 406 505 575 801 385 435 307 915', MOUNTAIN],
    // Arizona keeps no DST, except the Navajo Nation (928) which does.
    ['480 602 623 520', ARIZONA],
    ['928', ['America/Phoenix', 'America/Denver']],
    // CA, WA, western Oregon, southern Nevada
    ['209 213 323 279 310 424 408 669 415 628 510 530 559 562 619 858 626 650 657 714 661 707 747 818', PACIFIC],
    ['760 442 805 831 909 916 925 949 951 206 253 360 564 425 509 503 971 702 725', PACIFIC],
    // Codes spanning two clocks
    // (606, eastern Kentucky, includes Clinton County, which keeps Central time.)
    ['850 448 906 812 930 574 270 364 606 423', EASTERN_CENTRAL],
    ['785 620 308 605 701', CENTRAL_MOUNTAIN],
    ['208 986 541 458 775', MOUNTAIN_PACIFIC],
    // Alaska (the western Aleutians keep Hawaii–Aleutian time) and Hawaii
    ['907', ['America/Anchorage', 'America/Adak']],
    ['808', ['Pacific/Honolulu']],
  ]),
};

const TORONTO = ['America/Toronto'];

export const CA_ZONES: MultiZoneRule = {
  all: [
    'America/St_Johns', 'America/Halifax', 'America/Blanc-Sablon', 'America/Toronto', 'America/Atikokan',
    'America/Winnipeg', 'America/Regina', 'America/Edmonton', 'America/Whitehorse', 'America/Vancouver',
  ],
  byPrefix: prefixTable([
    // Ontario (except the northwest) and Quebec (except the east)
    ['416 647 437 905 289 365 742 613 343 753 519 226 548 705 249 683 514 438 263 450 579 354 819 873 468', TORONTO],
    // Northwestern Ontario spans Eastern, Central and Atikokan (EST all year); eastern Quebec
    // includes the Magdalen Islands (Atlantic time) and the Lower North Shore (AST all year).
    ['807', ['America/Toronto', 'America/Winnipeg', 'America/Atikokan']],
    ['418 581 367', ['America/Toronto', 'America/Halifax', 'America/Blanc-Sablon']],
    ['204 431 584', ['America/Winnipeg']],
    // Saskatchewan keeps CST all year; Lloydminster follows Alberta and Creighton Manitoba.
    ['306 639 474', ['America/Regina', 'America/Edmonton', 'America/Winnipeg']],
    ['403 587 780 825 368', ['America/Edmonton']],
    // Vancouver; the rest of BC includes Mountain-time areas, with and without DST.
    ['604', ['America/Vancouver']],
    ['250 778 236 672', ['America/Vancouver', 'America/Edmonton', 'America/Whitehorse']],
    // New Brunswick, Nova Scotia, PEI; Newfoundland and Labrador (Labrador keeps Atlantic time).
    ['506 428 902 782', ['America/Halifax']],
    ['709 879', ['America/St_Johns', 'America/Halifax']],
    // Yukon, Northwest Territories, Nunavut (Southampton Island keeps EST all year).
    ['867', ['America/Whitehorse', 'America/Edmonton', 'America/Winnipeg', 'America/Toronto', 'America/Atikokan']],
  ]),
};
